package progress

import (
	"bytes"
	"testing"
)

func TestLineWriter(t *testing.T) {
	var b bytes.Buffer
	lw := &lineWriter{w: &b}
	lw.Write([]byte("\rframe 1 \r     \r\rframe 2"))
	lw.Write([]byte(" end\n"))
	lw.flush()
	if got := b.String(); got != "frame 1\nframe 2 end\n" {
		t.Errorf("lines = %q", got)
	}
}
