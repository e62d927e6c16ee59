package javastack

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kclgo/mld/internal/jars"
	"github.com/kclgo/mld/internal/kclprops"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

func version(t *testing.T, s string) kclprops.Version {
	t.Helper()
	v, err := kclprops.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// kcl check finds nothing to say about the file written for each version:
// no error, no warning. (The real daemon reads the same files in
// internal/e2e.)
func TestPropertiesPassCheck(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "processor")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"3.1.3", "3.0.0", "2.7.2", "1.15.3", "1.9.3"} {
		t.Run(s, func(t *testing.T) {
			v := version(t, s)
			text := Properties(PropertiesInput{KCL: v, Executable: exe + " -checkpoint-every-records 5", Stream: "orders",
				App: "orders-app", WorkerID: "worker-1",
				Endpoints: Endpoints{Kinesis: "http://127.0.0.1:4567", DynamoDB: "http://127.0.0.1:4568"}})
			f, err := kclprops.Parse("kcl.properties", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if rep := kclprops.Check(f, v); len(rep.Problems) > 0 {
				var b strings.Builder
				rep.Write(&b, "kcl.properties")
				t.Errorf("kcl check -kcl %s:\n%s\nin:\n%s", v, b.String(), text)
			}
			keys := map[string]string{}
			for _, e := range f.Entries() {
				keys[e.Key] = e.Value
			}
			switch v.Major {
			case 1:
				if keys["AWSCredentialsProvider"] != "DefaultAWSCredentialsProviderChain" || keys["retrievalMode"] != "" {
					t.Errorf("1.x file: %v; want the SDK v1 provider under AWSCredentialsProvider, and no retrievalMode", keys)
				}
			default:
				if keys["AwsCredentialsProvider"] != "DefaultCredentialsProvider" || keys["retrievalMode"] != "POLLING" {
					t.Errorf("%d.x file: %v; want the SDK v2 provider under AwsCredentialsProvider, and polling", v.Major, keys)
				}
			}
			if _, ok := keys["leaseAssignmentIntervalMillis"]; ok != (v.Major == 3 && v.Minor >= 1) {
				t.Errorf("leaseAssignmentIntervalMillis set: %v; want it from 3.1 on only", ok)
			}
		})
	}
}

func TestStartRefusesConfig(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{KCL: "3.1.3", Kcl: "kcl"}, "needs KCL, Kcl and Executable"},
		{Config{KCL: "3.1.3", Kcl: "kcl", Executable: "bin/processor -x"}, "want an absolute path"},
		{Config{KCL: "3.2.0", Kcl: "kcl", Executable: "/bin/true"}, "no built-in jar list for KCL 3.2.0"},
	} {
		if _, err := Start(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestResolveVersion(t *testing.T) {
	for in, want := range map[string]string{"1": "1.15.3", "2": "2.7.2", "3": "3.1.3", "1.9.3": "1.9.3"} {
		v, _, err := resolveVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("resolveVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
}

func TestCheckJava(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "java")
	os.WriteFile(old, []byte("#!/bin/sh\necho 'java version \"1.7.0_80\"' >&2\n"), 0o755)
	t.Setenv("JAVA_HOME", "")
	list, _ := jars.Builtin("3.1.3")
	v := version(t, "3.1.3")
	if _, err := CheckJava(context.Background(), old, v, list); !errors.Is(err, ErrJava) || !strings.Contains(err.Error(), "java 1.7.0_80 ("+old+") is too old for KCL 3.1.3, which needs Java 8 or later") {
		t.Errorf("CheckJava(java 7) = %v, want too old", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := CheckJava(context.Background(), "", v, list); !errors.Is(err, ErrJava) || !strings.Contains(err.Error(), "no java found") {
		t.Errorf("CheckJava without java = %v, want ErrJava", err)
	}
}

func TestDaemonArgs(t *testing.T) {
	s := &Stack{Version: version(t, "3.1.3"), Lock: "/c/kcl-jars.lock", Properties: "/d/kcl.properties"}
	want := []string{"daemon", "-kcl", "3.1.3", "-lock", "/c/kcl-jars.lock", "-jvm-opt", "-Daws.cborEnabled=false", "/d/kcl.properties"}
	if diff := cmp.Diff(want, s.DaemonArgs()); diff != "" {
		t.Errorf("3.x (-want +got):\n%s", diff)
	}
	s.Version, s.cfg.Java = version(t, "1.15.3"), "/j/java"
	want = []string{"daemon", "-kcl", "1.15.3", "-lock", "/c/kcl-jars.lock", "-java", "/j/java", "/d/kcl.properties"}
	if diff := cmp.Diff(want, s.DaemonArgs()); diff != "" {
		t.Errorf("1.x (-want +got):\n%s", diff)
	}
	var aws []string
	for _, kv := range Env() {
		if strings.HasPrefix(kv, "AWS_") {
			aws = append(aws, kv)
		}
	}
	if diff := cmp.Diff([]string{"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CBOR_DISABLE=true"}, aws); diff != "" {
		t.Errorf("Env's AWS settings (-want +got):\n%s", diff)
	}
}
