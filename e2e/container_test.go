package e2e

// TestContainerImage builds the container image of ../Containerfile with podman and runs it as an
// operator would (docs/container.md): a named volume on /data, the port published on 127.0.0.1, the
// bootstrap token read from the container's logs, the API called with it, an admin command run in the
// container (podman exec … /crmd token), the process's user checked, the image's HEALTHCHECK run once,
// a graceful stop, and a second container on the same volume that finds the data (and prints no new
// token) and has the control API turned on by CRMD_CONTROL_TOKEN.
//
// Which image. By default the test builds a variant of ../Containerfile that needs no registry: its
// build stage is replaced by the static binary built here with the same flags (CGO_ENABLED=0,
// -trimpath, -ldflags="-s -w") placed where that stage leaves it (/out), and the runtime stage's base
// by scratch plus the /tmp its distroless base provides; every other instruction of the runtime stage
// (COPY, ENV, USER, WORKDIR, EXPOSE, VOLUME, HEALTHCHECK, STOPSIGNAL, ENTRYPOINT, CMD) is the file's own,
// read from it. With CRMD_CONTAINER_BUILD=full it builds ../Containerfile itself, which pulls its base
// images from their registries.
//
// When to run. Without podman, or with a podman that cannot build or run a container on this machine
// (a probe image tells), the test is skipped with a message, unless CRMD_CONTAINER_TEST=require makes
// that a failure. The probe tries the engine's defaults first, then limits that fit a machine whose
// root may not raise its rlimits, then the runc runtime (crun refuses hybrid cgroup hierarchies), and
// runs the image with the first that works.
//
// Its containers, volume and images are named crmd-e2e-<random> and removed when the test ends.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	// ctrBuildTimeout bounds one image build (a full build downloads Go modules and base images).
	ctrBuildTimeout = 15 * time.Minute
	// ctrCmdTimeout bounds every other podman command.
	ctrCmdTimeout = 2 * time.Minute
	// ctrStartTimeout bounds the wait for a container's server to answer /healthz.
	ctrStartTimeout = 60 * time.Second
	// ctrDataUID is the user the runtime stage runs as (distroless's nonroot).
	ctrDataUID = "65532"
)

// ctrLimits are run flags for machines whose root may not raise the rlimits podman sets by default
// (nofile 1048576, nproc 4194304): without CAP_SYS_RESOURCE the runtime's setrlimit fails with EPERM.
var ctrLimits = []string{"--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"}

func TestContainerImage(t *testing.T) {
	podman, err := exec.LookPath("podman")
	if err != nil {
		ctrSkip(t, "the container test needs podman on PATH (apt-get install podman runc)")
	}
	id := ctrRandomID(t)
	name := "crmd-e2e-" + id
	image := "localhost/" + name + ":test"
	volume := name + "-data"
	c := &ctrEngine{t: t, podman: podman}
	t.Cleanup(func() {
		// Everything this test made, by name; nothing else of the engine's is touched.
		for _, ctr := range []string{name, name + "-again", name + "-probe"} {
			c.quiet("rm", "--force", "--volumes", ctr)
		}
		c.quiet("volume", "rm", "--force", volume)
		for _, img := range []string{image, "localhost/" + name + "-probe:test"} {
			c.quiet("rmi", "--force", img)
		}
	})

	ctx := t.TempDir()
	bin := filepath.Join(ctx, "out", "crmd")
	ctrBuildStatic(t, bin)

	// The engine: can it build and run anything here at all? If not, skip (or fail when required).
	runArgs := c.probe(ctx, bin, "localhost/"+name+"-probe:test", name+"-probe")

	// The image.
	containerfile, err := os.ReadFile(filepath.Join("..", "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := ctrParseStages(t, string(containerfile))
	ctrCheckBuildStage(t, stages[0])
	if os.Getenv("CRMD_CONTAINER_BUILD") == "full" {
		t.Logf("building ../Containerfile itself (CRMD_CONTAINER_BUILD=full)")
		c.must(ctrBuildTimeout, "build", "--format", "docker", "--layers=false", "--tag", image, "--file", filepath.Join("..", "Containerfile"), "..")
	} else {
		variant := ctrScratchVariant(t, stages, ctx)
		if err := os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte(variant), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("building the runtime stage of ../Containerfile on scratch, with the binary built here:\n%s", variant)
		c.must(ctrBuildTimeout, "build", "--format", "docker", "--layers=false", "--tag", image, "--file", filepath.Join(ctx, "Containerfile"), ctx)
	}
	cfg := c.imageConfig(image)
	ctrCheckImageConfig(t, cfg)

	// First start: an empty volume, so crmd bootstraps an org and prints its token.
	c.must(ctrCmdTimeout, append(append([]string{"run", "--detach", "--name", name}, runArgs...),
		"--publish", "127.0.0.1::8080", "--volume", volume+":/data", image)...)
	base := c.waitServing(name)
	logs := c.waitLogLine(name, listenRE)
	var token, orgID string
	for _, l := range strings.Split(logs, "\n") {
		if m := tokenRE.FindStringSubmatch(l); m != nil {
			token = m[1]
		}
	}
	if m := orgRE.FindStringSubmatch(logs); m != nil {
		orgID = m[1]
	}
	if token == "" || orgID == "" {
		t.Fatalf("the first start's logs hold no bootstrap token or org id:\n%s", logs)
	}
	if !strings.Contains(logs, "crmd listening on http://127.0.0.1:8080\n") {
		t.Errorf("want the listening line on the image's CRMD_ADDR (0.0.0.0:8080 → http://127.0.0.1:8080); logs:\n%s", logs)
	}
	if !strings.Contains(logs, "--db /data/crmd.db ") {
		t.Errorf("want the bootstrap notice to name the database on the volume (/data/crmd.db); logs:\n%s", logs)
	}
	ctrWantOrg(t, base, token, orgID)
	if status, _ := ctrGet(t, base+"/crmd/v1/control/settings", "Bearer some-control-token"); status != http.StatusNotFound {
		t.Errorf("control API without CRMD_CONTROL_TOKEN: status %d, want 404", status)
	}

	// The process runs as the image's non-root user.
	top := strings.Fields(c.must(ctrCmdTimeout, "top", name, "user"))
	if len(top) != 2 || top[1] == "root" || top[1] == "0" {
		t.Errorf("podman top %s user: %q, want one non-root user", name, top)
	} else {
		t.Logf("crmd runs in the container as user %s", top[1])
	}

	// An admin command in the running container finds the database through the image's CRMD_DB.
	var minted struct {
		AccessToken string `json:"access_token"`
	}
	out := c.must(ctrCmdTimeout, "exec", name, "/crmd", "token", "--email", "admin@crmd.local", "--scope", "ZohoCRM.org.READ")
	if err := json.Unmarshal([]byte(out), &minted); err != nil || minted.AccessToken == "" {
		t.Fatalf("podman exec %s /crmd token: %v: %q", name, err, out)
	}
	ctrWantOrg(t, base, minted.AccessToken, orgID)

	// The image's health check, run once by the engine.
	c.checkHealth(name)

	// A graceful stop: SIGTERM, exit status 0.
	c.must(ctrCmdTimeout, "stop", "--time", "40", name)
	if code := strings.TrimSpace(c.must(ctrCmdTimeout, "inspect", "--format", "{{.State.ExitCode}}", name)); code != "0" {
		t.Errorf("after podman stop, crmd exited with status %s, want 0; logs:\n%s", code, c.logs(name))
	}

	// Second start on the same volume, with the control API on: the data is there, no new token.
	again := name + "-again"
	c.must(ctrCmdTimeout, append(append([]string{"run", "--detach", "--name", again}, runArgs...),
		"--publish", "127.0.0.1::8080", "--volume", volume+":/data", "--env", "CRMD_CONTROL_TOKEN=e2e-control-"+id, image)...)
	base = c.waitServing(again)
	logs = c.waitLogLine(again, listenRE)
	if strings.Contains(logs, "export TOKEN=") {
		t.Errorf("the second start on the same volume printed a bootstrap token; logs:\n%s", logs)
	}
	ctrWantOrg(t, base, token, orgID)
	if status, body := ctrGet(t, base+"/crmd/v1/control/settings", "Bearer e2e-control-"+id); status != http.StatusOK {
		t.Errorf("control API with CRMD_CONTROL_TOKEN: status %d, want 200: %s", status, body)
	}
	c.must(ctrCmdTimeout, "stop", "--time", "40", again)
	if code := strings.TrimSpace(c.must(ctrCmdTimeout, "inspect", "--format", "{{.State.ExitCode}}", again)); code != "0" {
		t.Errorf("after podman stop, the second crmd exited with status %s, want 0; logs:\n%s", code, c.logs(again))
	}
}

// ctrSkip skips the test with msg, or fails it when CRMD_CONTAINER_TEST=require.
func ctrSkip(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CRMD_CONTAINER_TEST") == "require" {
		t.Fatal(msg + " (CRMD_CONTAINER_TEST=require)")
	}
	t.Skip(msg)
}

func ctrRandomID(t *testing.T) string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// ctrBuildStatic builds ./cmd/crmd as the Containerfile's build stage does.
func ctrBuildStatic(t *testing.T, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ctrBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/crmd")
	cmd.Dir = ".."
	cmd.Env = append(cleanEnv(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the static binary: %v\n%s", err, b)
	}
	if err := os.MkdirAll(filepath.Join(filepath.Dir(out), "data"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// ctrEngine runs podman commands for one test.
type ctrEngine struct {
	t      *testing.T
	podman string
}

// run runs podman with args and returns its stdout, and an error carrying stderr.
func (c *ctrEngine) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.podman, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("podman %s: %v\n%s%s", strings.Join(args, " "), err, tail(out.String(), 2048), ctrStderr(errb.String()))
	}
	return out.String(), nil
}

// ctrStderr drops podman's complaints that it cannot reach systemd to schedule health checks (a machine
// without systemd): they do not stop a container, and would hide the error that did.
func ctrStderr(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" && !strings.Contains(l, "unable to get systemd connection") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// must runs podman and fails the test if it fails.
func (c *ctrEngine) must(timeout time.Duration, args ...string) string {
	c.t.Helper()
	out, err := c.run(timeout, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// quiet runs podman for cleanup, ignoring its failures (a name that was never made).
func (c *ctrEngine) quiet(args ...string) {
	c.run(ctrCmdTimeout, args...)
}

// logs is a container's stdout and stderr, for failure messages.
func (c *ctrEngine) logs(name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), ctrCmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.podman, "logs", name).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("podman logs %s: %v\n%s", name, err, out)
	}
	return tail(string(out), 8192)
}

// probe builds a minimal image (the binary alone, on scratch) and runs `crmd help` in it, first with
// the engine's defaults, then with ctrLimits, then with runc; it returns the run flags that worked.
// An engine that cannot build or run that image skips the test (fails it when required).
func (c *ctrEngine) probe(ctx, bin, image, name string) []string {
	c.t.Helper()
	dir := filepath.Join(ctx, "probe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.Link(bin, filepath.Join(dir, "crmd")); err != nil {
		c.t.Fatal(err)
	}
	probe := "FROM scratch\nCOPY crmd /crmd\nUSER 65532:65532\nENTRYPOINT [\"/crmd\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(probe), 0o644); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.run(ctrBuildTimeout, "build", "--layers=false", "--tag", image, "--file", filepath.Join(dir, "Containerfile"), dir); err != nil {
		ctrSkip(c.t, fmt.Sprintf("podman cannot build an image on this machine: %v", err))
	}
	candidates := [][]string{nil, ctrLimits}
	if _, err := exec.LookPath("runc"); err == nil {
		candidates = append(candidates, append([]string{"--runtime", "runc"}, ctrLimits...))
	}
	var errs []string
	for _, args := range candidates {
		run := append(append([]string{"run", "--rm", "--name", name}, args...), image, "help")
		out, err := c.run(ctrCmdTimeout, run...)
		c.quiet("rm", "--force", "--volumes", name)
		if err == nil && strings.Contains(out, "crmd serves") {
			if len(args) > 0 {
				c.t.Logf("podman runs containers here with %s", strings.Join(args, " "))
			}
			return args
		}
		if err == nil {
			err = fmt.Errorf("podman %s: unexpected output %q", strings.Join(run, " "), tail(out, 512))
		}
		errs = append(errs, err.Error())
	}
	ctrSkip(c.t, "podman cannot run a container on this machine:\n"+strings.Join(errs, "\n"))
	return nil
}

// ctrStage is one FROM … stage of a Containerfile: its base, its name, and its other instructions,
// each on one line (continuations joined, comments dropped).
type ctrStage struct {
	base, name   string
	instructions []string
}

// ctrParseStages splits a Containerfile into stages; the first must be named build and there must be
// a runtime stage after it.
func ctrParseStages(t *testing.T, src string) []ctrStage {
	t.Helper()
	var lines []string
	cur := ""
	for _, raw := range strings.Split(src, "\n") {
		l := strings.TrimSpace(raw)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSpace(strings.TrimSuffix(l, "\\")) + " "
			continue
		}
		lines = append(lines, cur+l)
		cur = ""
	}
	if cur != "" {
		lines = append(lines, strings.TrimSpace(cur))
	}
	var stages []ctrStage
	for _, l := range lines {
		f := strings.Fields(l)
		if strings.EqualFold(f[0], "FROM") {
			s := ctrStage{}
			if len(f) >= 2 {
				s.base = f[1]
			}
			if len(f) == 4 && strings.EqualFold(f[2], "AS") {
				s.name = f[3]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Containerfile: %q before the first FROM", l)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, l)
	}
	if len(stages) < 2 || stages[0].name != "build" {
		t.Fatalf("Containerfile: want a first stage named build (FROM … AS build) and a runtime stage after it; got %d stages", len(stages))
	}
	return stages
}

// ctrCheckBuildStage: the build stage builds the static binary as the test does, into /out.
func ctrCheckBuildStage(t *testing.T, s ctrStage) {
	t.Helper()
	all := strings.Join(s.instructions, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags="-s -w"`, "-o /out/crmd ./cmd/crmd", "mkdir -p /out/data"} {
		if !strings.Contains(all, want) {
			t.Errorf("Containerfile: the build stage does not say %q:\n%s", want, all)
		}
	}
}

// ctrScratchVariant writes the variant of the Containerfile the test builds: a build stage holding what
// the real one leaves in /out (ctx/out: the binary and the data directory), and the runtime stage's
// instructions on scratch, with the /tmp that its distroless base has.
func ctrScratchVariant(t *testing.T, stages []ctrStage, ctx string) string {
	t.Helper()
	runtime := stages[len(stages)-1]
	var b strings.Builder
	b.WriteString("FROM scratch AS build\nCOPY out/ /out/\n\nFROM scratch\n")
	if runtime.base != "scratch" {
		tmp := filepath.Join(ctx, "out", "tmp")
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tmp, 0o1777); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "# stands in for %s's /tmp\nCOPY --from=build /out/tmp /tmp\n", runtime.base)
	}
	fromBuild := regexp.MustCompile(`^COPY\s.*--from=build\s.*?(/\S+)\s+\S+$`)
	for _, in := range runtime.instructions {
		if strings.Contains(in, "--from=") {
			m := fromBuild.FindStringSubmatch(in)
			if m == nil {
				t.Fatalf("Containerfile: the runtime stage copies from a stage other than build: %s", in)
			}
			if _, err := os.Stat(filepath.Join(ctx, filepath.FromSlash(m[1]))); err != nil {
				t.Fatalf("Containerfile: the runtime stage copies %s from the build stage, which this test does not make (it makes /out/crmd and /out/data): %s", m[1], in)
			}
		}
		b.WriteString(in + "\n")
	}
	return b.String()
}

// ctrImage is what `podman image inspect` says of an image, as far as the test checks it.
type ctrImage struct {
	Config struct {
		User         string
		Env          []string
		ExposedPorts map[string]any
		Volumes      map[string]any
		WorkingDir   string
		Entrypoint   []string
		Cmd          []string
		StopSignal   string
	}
	Healthcheck *struct{ Test []string }
}

func (c *ctrEngine) imageConfig(image string) ctrImage {
	c.t.Helper()
	var imgs []ctrImage
	if err := json.Unmarshal([]byte(c.must(ctrCmdTimeout, "image", "inspect", image)), &imgs); err != nil || len(imgs) != 1 {
		c.t.Fatalf("podman image inspect %s: %v (%d images)", image, err, len(imgs))
	}
	return imgs[0]
}

// ctrCheckImageConfig: the runtime settings docs/container.md promises.
func ctrCheckImageConfig(t *testing.T, img ctrImage) {
	t.Helper()
	cfg := img.Config
	if u := strings.SplitN(cfg.User, ":", 2)[0]; u == "" || u == "0" || u == "root" {
		t.Errorf("image user %q, want a non-root user", cfg.User)
	}
	env := strings.Join(cfg.Env, "\n") + "\n"
	for _, want := range []string{"CRMD_DB=/data/crmd.db\n", "CRMD_ADDR=0.0.0.0:8080\n"} {
		if !strings.Contains(env, want) {
			t.Errorf("image environment lacks %s: %q", strings.TrimSpace(want), cfg.Env)
		}
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("image exposes %v, want 8080/tcp", cfg.ExposedPorts)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("image volumes %v, want /data", cfg.Volumes)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/crmd" || strings.Join(cfg.Cmd, " ") != "serve" {
		t.Errorf("image runs %q %q, want [/crmd] [serve]", cfg.Entrypoint, cfg.Cmd)
	}
	if img.Healthcheck == nil || len(img.Healthcheck.Test) < 2 || img.Healthcheck.Test[0] != "CMD" || img.Healthcheck.Test[1] != "/crmd" {
		t.Errorf("image health check %+v, want CMD /crmd … (built with --format docker)", img.Healthcheck)
	}
}

// waitServing waits until the container's published port answers /healthz and returns its base URL.
func (c *ctrEngine) waitServing(name string) string {
	c.t.Helper()
	port, err := c.run(ctrCmdTimeout, "port", name, "8080/tcp")
	port = strings.TrimSpace(strings.Split(port, "\n")[0])
	if !strings.HasPrefix(port, "127.0.0.1:") {
		state, _ := c.run(ctrCmdTimeout, "inspect", "--format", "{{.State.Status}} (exit status {{.State.ExitCode}})", name)
		c.t.Fatalf("podman port %s 8080/tcp: %q (%v), want 127.0.0.1:PORT; the container is %s; logs:\n%s", name, port, err, strings.TrimSpace(state), c.logs(name))
	}
	base := "http://" + port
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(ctrStartTimeout)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"status":"ok"`) {
				return base
			}
			err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if running, _ := c.run(ctrCmdTimeout, "inspect", "--format", "{{.State.Running}}", name); strings.TrimSpace(running) == "false" {
			c.t.Fatalf("container %s exited before serving; logs:\n%s", name, c.logs(name))
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("container %s: GET %s/healthz did not answer 200 within %s (last: %v); logs:\n%s", name, base, ctrStartTimeout, err, c.logs(name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitLogLine waits until a line of the container's stdout matches re, and returns that stdout.
func (c *ctrEngine) waitLogLine(name string, re *regexp.Regexp) string {
	c.t.Helper()
	deadline := time.Now().Add(ctrStartTimeout)
	for {
		out, err := c.run(ctrCmdTimeout, "logs", name) // stdout only: the JSON logs are on stderr
		if err == nil {
			for _, l := range strings.Split(out, "\n") {
				if re.MatchString(strings.TrimRight(l, "\r")) {
					return out
				}
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("container %s: no line matching %s in its output within %s: %v\n%s", name, re, ctrStartTimeout, err, tail(out, 4096))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkHealth runs the image's HEALTHCHECK (`crmd healthcheck`) once: it must pass.
func (c *ctrEngine) checkHealth(name string) {
	c.t.Helper()
	if _, err := c.run(ctrCmdTimeout, "healthcheck", "run", name); err != nil {
		c.t.Errorf("the image's health check failed: %v", err)
		return
	}
	c.t.Logf("podman healthcheck run %s: healthy", name)
}

// ctrGet sends GET url with an Authorization header and returns the status and body.
func ctrGet(t *testing.T, url, auth string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body
}

// ctrWantOrg: GET /crm/v8/org with the token answers the bootstrap org.
func ctrWantOrg(t *testing.T, base, token, orgID string) {
	t.Helper()
	status, body := ctrGet(t, base+"/crm/v8/org", "Zoho-oauthtoken "+token)
	var got struct {
		Org []struct {
			ID string `json:"id"`
		} `json:"org"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil || len(got.Org) != 1 || got.Org[0].ID != orgID {
		t.Fatalf("GET %s/crm/v8/org: status %d, want 200 with org %s: %s", base, status, orgID, body)
	}
}
