// Package javastack runs the real KCL MultiLangDaemon (Java) on this
// machine against emulators, with no AWS: kinesalite for Kinesis (behind an
// h2c proxy for KCL 2.x and 3.x, whose Kinesis client speaks only HTTP/2),
// dynalite for the lease tables, the daemon's verified jars from the user
// cache, and a kcl.properties written for the KCL version. The daemon is
// started with the built kcl command, as "kcl daemon", so that what runs is
// what users run: the same properties check, classpath, logging and signal
// handling.
//
//	s, err := javastack.Start(ctx, javastack.Config{KCL: "3.1.3", Shards: 2, Kcl: "bin/kcl",
//		Executable: "/abs/bin/sample-processor -checkpoint-every-records 5"})
//	defer s.Close()
//	d, err := s.StartDaemon()
//	... write records to s.Stream with s.KinesisClient() ...
//	code, err := d.Stop(30 * time.Second) // SIGTERM: the graceful path
//	leases, err := s.Leases(ctx)
//
// The real-daemon end-to-end tests and make run-java use it.
package javastack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
	"github.com/kclgo/mld/internal/launch"
	"github.com/kclgo/mld/internal/stream/dynalite"
	"github.com/kclgo/mld/internal/stream/h2c"
	"github.com/kclgo/mld/internal/stream/kinesalite"
)

// Config says what to run. KCL, Kcl and Executable are required.
type Config struct {
	// KCL is the daemon's version, one with a built-in jar list: 3.1.3,
	// 2.7.2 or 1.15.3 (3, 2 and 1 mean those).
	KCL string
	// Kcl is the kcl binary that runs "kcl daemon".
	Kcl string
	// Executable is executableName: an absolute program path and its
	// arguments, split on spaces by the daemon.
	Executable string
	// Shards of the stream; default 2.
	Shards int
	// Stream and App name the stream and the KCL application (and so the
	// lease table); defaults "orders" and "orders-app".
	Stream, App string
	// WorkerID is the daemon's workerId; default "worker-1".
	WorkerID string
	// Dir is the daemon's working directory, where kcl.properties is
	// written. Empty: a temporary directory that Close removes.
	Dir string
	// Java is the java to run (kcl daemon -java); empty: JAVA_HOME, then
	// PATH.
	Java string
	// Log receives progress lines: installs, downloads, what started
	// where. Nil discards them.
	Log io.Writer
	// Output, if set, receives the daemon's output (kcl daemon's stdout
	// and stderr: the daemon's log and its processors' stderr) as it
	// comes, besides Daemon.Output.
	Output io.Writer
}

// Stack is the running emulators, with the stream, the tables and the
// properties file in place.
type Stack struct {
	Version    kclprops.Version
	Java       launch.Java
	Stream     string
	App        string
	Shards     int
	Dir        string // the daemon's working directory
	Properties string // the kcl.properties path
	Lock       string // the kcl-jars.lock path, in the user cache
	Endpoints  Endpoints

	cfg        Config
	kinesalite *kinesalite.Server
	dynalite   *dynalite.Server
	proxy      *h2c.Proxy
	tempDir    bool

	mu     sync.Mutex
	daemon *Daemon
}

// ErrJava is wrapped by Start's error when java is missing or too old for
// the version's jars.
var ErrJava = errors.New("no suitable java")

// CheckJava finds the java that kcl daemon will run (explicit, else
// $JAVA_HOME/bin/java, else java on PATH) and checks it is recent enough
// for list's jars.
func CheckJava(ctx context.Context, explicit string, v kclprops.Version, list *jars.List) (launch.Java, error) {
	path, err := launch.FindJava(explicit, os.Getenv)
	if err != nil {
		return launch.Java{}, fmt.Errorf("javastack: %w: %s", ErrJava, strings.TrimPrefix(err.Error(), "launch: "))
	}
	j, err := launch.ProbeJava(ctx, path)
	if err != nil {
		return launch.Java{}, fmt.Errorf("javastack: %w: %s", ErrJava, strings.TrimPrefix(err.Error(), "launch: "))
	}
	if need, why := list.MinJava(); j.Major < need {
		return j, fmt.Errorf("javastack: %w: java %s (%s) is too old for KCL %s, which needs Java %d or later (%s); install a newer Java and point JAVA_HOME at it",
			ErrJava, j.Version, j.Path, v, need, why)
	}
	return j, nil
}

// Start checks java, starts the emulators, creates the stream and the
// lease tables, fetches the daemon's jars into the user cache (verified,
// reusing what is there) and writes kcl.properties. It does not start the
// daemon: StartDaemon does. On error, everything started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.KCL == "" || cfg.Kcl == "" || cfg.Executable == "" {
		return nil, errors.New("javastack: Config needs KCL, Kcl and Executable")
	}
	if !filepath.IsAbs(strings.Fields(cfg.Executable)[0]) {
		return nil, fmt.Errorf("javastack: executableName %q: want an absolute path", cfg.Executable)
	}
	v, list, err := resolveVersion(cfg.KCL)
	if err != nil {
		return nil, err
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 2
	}
	if cfg.Stream == "" {
		cfg.Stream = "orders"
	}
	if cfg.App == "" {
		cfg.App = cfg.Stream + "-app"
	}
	if cfg.WorkerID == "" {
		cfg.WorkerID = "worker-1"
	}
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	say := func(format string, a ...any) { fmt.Fprintf(log, "javastack: "+format+"\n", a...) }

	s := &Stack{Version: v, Stream: cfg.Stream, App: cfg.App, Shards: cfg.Shards, cfg: cfg}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.Java, err = CheckJava(ctx, cfg.Java, v, list); err != nil {
		return nil, err
	}

	kdir, err := kinesalite.Install(ctx, log)
	if err != nil {
		return nil, err
	}
	ddir, err := dynalite.Install(ctx, log)
	if err != nil {
		return nil, err
	}
	if s.kinesalite, err = kinesalite.Start(ctx, kdir, kinesalite.Options{CreateStreamMs: 10}); err != nil {
		return nil, err
	}
	s.Endpoints.Kinesis = s.kinesalite.URL
	if v.Major >= 2 {
		if s.proxy, err = h2c.Start(s.kinesalite.URL); err != nil {
			return nil, err
		}
		s.Endpoints.Kinesis = s.proxy.URL
		say("kinesalite %s at %s, behind an h2c proxy at %s (KCL %d.x speaks HTTP/2 only)", kinesalite.Version, s.kinesalite.URL, s.proxy.URL, v.Major)
	} else {
		say("kinesalite %s at %s", kinesalite.Version, s.kinesalite.URL)
	}
	if s.dynalite, err = dynalite.Start(ctx, ddir, dynalite.Options{}); err != nil {
		return nil, err
	}
	s.Endpoints.DynamoDB = s.dynalite.URL
	say("dynalite %s at %s", dynalite.Version, s.dynalite.URL)

	if err := kinesalite.CreateStream(ctx, s.kinesalite.Client(), s.Stream, s.Shards); err != nil {
		return nil, err
	}
	if err := dynalite.CreateKCLTables(ctx, s.dynalite.Client(), s.App); err != nil {
		return nil, err
	}
	say("stream %q with %d shards; lease table %q with its index, and the tables KCL 3.x adds", s.Stream, s.Shards, s.App)
	if err := s.putNewLeases(ctx); err != nil {
		return nil, err
	}
	say("a lease per shard, as the daemon's first shard sync writes them: a worker that finds the lease table empty waits up to 30s for another to fill it")

	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("javastack: no user cache directory: %w", err)
	}
	jarDir := os.Getenv("KCL_JARS_DIR")
	if jarDir == "" {
		jarDir = filepath.Join(cache, "kcl-go", "jars", v.String())
	}
	s.Lock = filepath.Join(cache, "kcl-go", "jars", jars.LockFile)
	res, err := jars.Fetch(ctx, list, jars.Options{Dir: jarDir, Lock: s.Lock, Repo: os.Getenv("KCL_MAVEN_REPO"),
		Progress: log, QuietCached: true})
	if err != nil {
		return nil, err
	}
	say("KCL %s: %d jars verified in %s", v, len(res.Jars), jarDir)

	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "kcl-javastack-"); err != nil {
			return nil, fmt.Errorf("javastack: %w", err)
		}
		s.tempDir = true
	} else if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("javastack: %w", err)
	}
	s.Dir = cfg.Dir
	s.Properties = filepath.Join(s.Dir, "kcl.properties")
	props := Properties(PropertiesInput{KCL: v, Executable: cfg.Executable, Stream: s.Stream, App: s.App,
		WorkerID: cfg.WorkerID, Endpoints: s.Endpoints})
	if err := os.WriteFile(s.Properties, []byte(props), 0o644); err != nil {
		return nil, fmt.Errorf("javastack: %w", err)
	}
	return s, nil
}

// resolveVersion returns the version and built-in jar list for s; a
// major alone means that line's newest built-in list.
func resolveVersion(s string) (kclprops.Version, *jars.List, error) {
	if !strings.Contains(s, ".") {
		best := ""
		for _, b := range jars.BuiltinVersions() { // oldest first
			if strings.HasPrefix(b, s+".") {
				best = b
			}
		}
		if best != "" {
			s = best
		}
	}
	v, err := kclprops.ParseVersion(s)
	if err != nil {
		return v, nil, fmt.Errorf("javastack: %w", err)
	}
	list, ok := jars.Builtin(v.String())
	if !ok {
		return v, nil, fmt.Errorf("javastack: no built-in jar list for KCL %s (built in: %s)", v, strings.Join(jars.BuiltinVersions(), ", "))
	}
	return v, list, nil
}

// putNewLeases writes the leases of the stream's shards.
func (s *Stack) putNewLeases(ctx context.Context) error {
	out, err := s.kinesalite.Client().ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String(s.Stream)})
	if err != nil {
		return fmt.Errorf("javastack: listing the shards of %s: %w", s.Stream, err)
	}
	var leases []dynalite.NewLease
	for _, sh := range out.Shards {
		leases = append(leases, dynalite.NewLease{ShardID: aws.ToString(sh.ShardId), Checkpoint: "TRIM_HORIZON",
			StartingHashKey: aws.ToString(sh.HashKeyRange.StartingHashKey), EndingHashKey: aws.ToString(sh.HashKeyRange.EndingHashKey)})
	}
	return dynalite.PutNewLeases(ctx, s.dynalite.Client(), s.App, leases)
}

// KinesisClient returns a client for the stream's emulator, to write
// records with.
func (s *Stack) KinesisClient() *kinesis.Client { return s.kinesalite.Client() }

// Leases returns the rows of the lease table.
func (s *Stack) Leases(ctx context.Context) ([]dynalite.Lease, error) {
	return dynalite.Leases(ctx, s.dynalite.Client(), s.App)
}

// Close stops the daemon if it runs (as Daemon.Stop does), then the
// emulators and the proxy, and removes the working directory if Start
// made it. It is safe to call more than once.
func (s *Stack) Close() error {
	s.mu.Lock()
	d := s.daemon
	s.mu.Unlock()
	if d != nil {
		d.Stop(defaultStopTimeout)
	}
	if s.proxy != nil {
		s.proxy.Close()
	}
	if s.kinesalite != nil {
		s.kinesalite.Stop()
	}
	if s.dynalite != nil {
		s.dynalite.Stop()
	}
	if s.tempDir {
		os.RemoveAll(s.Dir)
	}
	return nil
}
