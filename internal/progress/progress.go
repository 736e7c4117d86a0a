// Package progress draws the progress of a long command (crmd seed, crmd bench's seeding) on stderr: a
// bar on a terminal, plain lines at most once a second anywhere else.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar is a progress bar on a terminal, or plain progress lines when stderr is a file or pipe.
type Bar struct {
	bar *progressbar.ProgressBar
	lw  *lineWriter
}

// New draws a bar on w when w is a terminal; otherwise the bar's frames, at most one a
// second, become ordinary lines, so logs and CI output stay readable.
func New(w io.Writer, total int64, desc string) *Bar {
	opts := []progressbar.Option{
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rec"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	}
	p := &Bar{}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts = append(opts, progressbar.OptionSetWriter(w), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	} else {
		p.lw = &lineWriter{w: w}
		opts = append(opts, progressbar.OptionSetWriter(p.lw), progressbar.OptionThrottle(time.Second),
			progressbar.OptionSetTheme(progressbar.ThemeASCII), progressbar.OptionSetPredictTime(false))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	return p
}

// Add advances the bar.
func (p *Bar) Add(n int) { p.bar.Add(n) }

// Finish ends the bar, leaving the last frame visible.
func (p *Bar) Finish() {
	if !p.bar.IsFinished() {
		p.bar.Exit() // ends the line on a terminal, also when the run stopped early
	}
	if p.lw != nil {
		p.lw.flush()
	}
}

// lineWriter turns a progress bar's carriage-return redraws into one line per frame, dropping the
// blank frames the bar writes to erase itself.
type lineWriter struct {
	w   io.Writer
	cur []byte
}

func (l *lineWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		if c == '\r' || c == '\n' {
			l.flush()
			continue
		}
		l.cur = append(l.cur, c)
	}
	return len(b), nil
}

// flush writes the pending frame as a line, unless it is blank.
func (l *lineWriter) flush() {
	s := strings.TrimSpace(string(l.cur))
	l.cur = l.cur[:0]
	if s != "" {
		fmt.Fprintln(l.w, s)
	}
}
