package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests make a SQLite database unwritable or full under crmd. They serve a SQLite file of their
// own whatever CRMD_TEST_STORE says: the faults are SQLite's.

// asUnprivileged makes cmd run as nobody when the tests run as root, for whom file permissions do not
// apply; it opens the directories on the way to dirs and the binary to that user. Without root it
// does nothing: a read-only file is then read-only to crmd.
func asUnprivileged(t *testing.T, cmd *exec.Cmd, dirs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	for _, d := range append(dirs, filepath.Dir(crmdBin)) {
		for ; d != "/" && d != "." && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
				if err := os.Chmod(d, fi.Mode().Perm()|0o005); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// integrityOK runs PRAGMA integrity_check on a SQLite file.
func integrityOK(t *testing.T, path string) {
	t.Helper()
	st := openStore(t, path)
	var res string
	if err := st.R.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", path, res, err)
	}
}

// TestSQLiteReadOnly: `crmd serve` on a SQLite database it may not write exits at once with an error
// that names the file and what crmd needs, whether the file, its directory or both are read-only,
// and the file is intact afterwards. (A file made read-only under a running server cannot be shown
// this way: the server's open descriptors keep their write access; only a read-only remount, which
// needs root, would do it.)
func TestSQLiteReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name          string
		fileRO, dirRO bool
		fresh         bool // no database yet
	}{
		{name: "file and directory", fileRO: true, dirRO: true},
		{name: "file", fileRO: true},
		{name: "directory", dirRO: true},
		{name: "new database in a read-only directory", dirRO: true, fresh: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "crmd.db")
			if !tc.fresh {
				if out, err := exec.Command(crmdBin, "init", "--db", db).CombinedOutput(); err != nil {
					t.Fatalf("crmd init: %v\n%s", err, out)
				}
				if tc.fileRO {
					os.Chmod(db, 0o444)
				}
				if os.Geteuid() == 0 && !tc.fileRO {
					// Writable to the unprivileged user the server runs as.
					os.Chown(db, 65534, 65534)
				}
			}
			if os.Geteuid() == 0 && !tc.dirRO {
				os.Chown(dir, 65534, 65534)
			}
			if tc.dirRO {
				os.Chmod(dir, 0o555)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(db, 0o644) })

			cmd := exec.Command(crmdBin, "serve", "--addr", "127.0.0.1:0", "--db", db)
			cmd.Env = cleanEnv()
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			asUnprivileged(t, cmd, dir)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("crmd serve on a read-only database did not exit within 20 s\nstdout:\n%s", out.String())
			}
			want := "crmd: cannot write the SQLite database " + db + ": crmd needs write access to the file and to its directory " + dir
			if err == nil || strings.Contains(out.String(), "listening") || !strings.HasPrefix(errb.String(), want) {
				t.Fatalf("exit %v\nstdout: %s\nstderr: %s\nwant stderr to begin %q", err, out.String(), errb.String(), want)
			}
			t.Logf("%s", strings.TrimSpace(errb.String()))
			os.Chmod(dir, 0o755)
			os.Chmod(db, 0o644)
			if !tc.fresh {
				integrityOK(t, db)
			}
		})
	}
}

// TestSQLiteDiskFull fills the disk under a running server, as far as SQLite can tell: the server's
// file size limit (RLIMIT_FSIZE, set on the process with prlimit; no root needed) is lowered to just
// above its database and WAL files, so that growing either fails with EFBIG as a full disk fails with
// ENOSPC. Inserts must then fail with Zoho's error object and nothing half-written, reads keep working,
// the server recovers by itself once there is room again, and the file passes integrity_check.
func TestSQLiteDiskFull(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crmd.db")
	h := startServer(t, "--db", db)
	pid := h.cmd.Process.Pid
	insert := func(batch int) (int, answer) {
		var data []any
		for i := 0; i < 100; i++ {
			// A few KiB per record, so that every call grows the WAL.
			data = append(data, map[string]any{"Last_Name": fmt.Sprintf("Full%03d-%03d", batch, i), "Description": strings.Repeat("x", 3000)})
		}
		resp, raw := h.Request("POST", "/crm/v8/Leads", map[string]any{"data": data}, h.Token)
		return resp.StatusCode, answer{status: resp.StatusCode, raw: raw, body: decodeObject(raw)}
	}
	if status, a := insert(0); status != http.StatusCreated {
		t.Fatalf("insert before the limit: %d %s", status, a.raw)
	}
	var largest int64
	for _, f := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	limit := uint64(largest + 1<<20)
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: limit, Max: unix.RLIM_INFINITY}, nil); err != nil {
		t.Skipf("prlimit on the server: %v", err)
	}
	acked := []int{0}
	var failed []int
	var first answer
	for batch := 1; batch <= 200 && len(failed) < 3; batch++ {
		status, a := insert(batch)
		switch {
		case status == http.StatusCreated:
			if len(failed) > 0 {
				t.Fatalf("insert %d succeeded after the disk filled up", batch)
			}
			acked = append(acked, batch)
		case status == http.StatusInternalServerError && zohoShaped(a) && a.body["code"] == "INTERNAL_ERROR":
			if len(failed) == 0 {
				first = a
			}
			failed = append(failed, batch)
		default:
			t.Fatalf("insert %d with the disk full: %d %s, want 500 INTERNAL_ERROR", batch, status, a.raw)
		}
		if status != http.StatusCreated {
			// Reads go on while writes fail.
			if status, _, raw := h.Do("GET", "/crm/v8/Leads?fields=Last_Name&per_page=5", nil, h.Token); status != http.StatusOK {
				t.Fatalf("read with the disk full: %d %s", status, raw)
			}
		}
	}
	if len(failed) == 0 {
		t.Fatalf("200 inserts of 300 KiB never hit a %d-byte file size limit", limit)
	}
	t.Logf("limit %d bytes: %d inserts of 100 records acknowledged, then %v failed: %s", limit, len(acked), failed, first.raw)
	why := ""
	for _, l := range strings.Split(h.Stderr(), "\n") {
		if strings.Contains(l, `"internal error"`) {
			why = l
			break
		}
	}
	if !strings.Contains(why, "database or disk is full") && !strings.Contains(why, "disk I/O error") {
		t.Errorf("the server's log does not say why the inserts failed:\n%s", tail(h.Stderr(), 2048))
	}
	t.Logf("the server logged: %s", why)
	// Room again: the same server writes again, without a restart.
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}, nil); err != nil {
		t.Fatal(err)
	}
	if status, a := insert(999); status != http.StatusCreated {
		t.Fatalf("insert after the disk has room again: %d %s", status, a.raw)
	}
	acked = append(acked, 999)
	h.Stop()

	integrityOK(t, db)
	st := openStore(t, db)
	got := map[int]int{}
	rows, err := st.R.QueryContext(context.Background(), `SELECT json_extract(data, '$.Last_Name') FROM records WHERE json_extract(data, '$.Last_Name') LIKE 'Full%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var batch, i int
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		fmt.Sscanf(name, "Full%03d-%03d", &batch, &i)
		got[batch]++
	}
	rows.Close()
	for _, b := range acked {
		if got[b] != 100 {
			t.Errorf("acknowledged insert %d: %d of its 100 records in the database", b, got[b])
		}
	}
	for _, b := range failed {
		if got[b] != 0 {
			t.Errorf("failed insert %d: %d of its records in the database", b, got[b])
		}
	}
}
