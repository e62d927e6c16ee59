// Package bindings installs the official Python and Node.js bindings of the
// KCL MultiLangDaemon, amazon_kclpy and aws-kcl, at pinned versions, so that
// tests can run record processors written with them under kcl play and
// kcl local. Each goes into a cache directory once and is reused after
// that, without the network.
//
//	python, err := bindings.InstallPython(ctx, os.Stderr) // a venv's python that imports amazon_kclpy
//	dir, err := bindings.InstallNode(ctx, os.Stderr)      // NODE_PATH=dir/node_modules finds aws-kcl
//
// PythonForTest and NodeForTest do this for a test, and skip it when
// python3 or Node.js is missing, unless the CI environment variable is set.
package bindings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// PythonVersion is the amazon_kclpy release InstallPython installs. Its
// library is the same, file for file, as that of 3.2.0, the newest; but
// 3.2.0's setup downloads the jars of KCL 3.5.3, which Maven Central does
// not have, so that pip fails to install it.
const PythonVersion = "3.1.3"

// NodeVersion is the aws-kcl release InstallNode installs.
const NodeVersion = "2.3.2"

// ErrNoPython is wrapped by the errors of InstallPython when python3 is
// not on PATH or cannot make a virtual environment.
var ErrNoPython = errors.New("python3 with venv is needed to install amazon_kclpy")

// ErrNoNode is wrapped by the errors of InstallNode when node or npm is not
// on PATH.
var ErrNoNode = errors.New("node and npm are needed to install aws-kcl")

// Environment variables that, when set, name the directory to install a
// binding into (or find it in) instead of the user cache.
const (
	PythonDirEnv = "AMAZON_KCLPY_DIR"
	NodeDirEnv   = "AWS_KCL_DIR"
)

// DefaultPythonDir returns where InstallPython makes its virtual
// environment: $AMAZON_KCLPY_DIR, or kcl-go/amazon_kclpy-<PythonVersion>
// under the user cache directory.
func DefaultPythonDir() (string, error) {
	return defaultDir(PythonDirEnv, "amazon_kclpy-"+PythonVersion)
}

// DefaultNodeDir returns where InstallNode installs aws-kcl: $AWS_KCL_DIR,
// or kcl-go/aws-kcl-<NodeVersion> under the user cache directory.
func DefaultNodeDir() (string, error) {
	return defaultDir(NodeDirEnv, "aws-kcl-"+NodeVersion)
}

func defaultDir(env, name string) (string, error) {
	if d := os.Getenv(env); d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("bindings: no cache directory (%v): set %s", err, env)
	}
	return filepath.Join(cache, "kcl-go", name), nil
}

// InstallPython makes sure a virtual environment in DefaultPythonDir holds
// amazon_kclpy PythonVersion and returns its python, which runs a
// processor written with the binding: python app.py. A previous install
// is reused; otherwise it runs python3 -m venv and pip install
// amazon_kclpy==PythonVersion, telling progress to log. The package has no
// wheel, and pip builds one from its source, whose setup downloads the KCL
// jars from Maven Central into the package; the processor never uses them.
func InstallPython(ctx context.Context, log io.Writer) (python string, err error) {
	dir, err := DefaultPythonDir()
	if err != nil {
		return "", err
	}
	t := target{
		what: "amazon_kclpy " + PythonVersion, dir: dir, env: PythonDirEnv,
		installed: pythonInstalled,
		tools:     checkPython,
		install: func(ctx context.Context, dir string, out io.Writer) error {
			if err := run(ctx, out, "python3", "-m", "venv", dir); err != nil {
				return fmt.Errorf("python3 -m venv %s failed (%v)", dir, err)
			}
			if err := run(ctx, out, venvPython(dir), "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
				"amazon_kclpy=="+PythonVersion); err != nil {
				return fmt.Errorf("pip install amazon_kclpy==%s failed (%v); are PyPI and Maven Central reachable?", PythonVersion, err)
			}
			return nil
		},
	}
	if err := t.ensure(ctx, log); err != nil {
		return "", err
	}
	return venvPython(dir), nil
}

// InstallNode makes sure aws-kcl NodeVersion is installed in DefaultNodeDir
// and returns that directory: with NODE_PATH set to its node_modules,
// node app.js runs a processor written with the binding. A previous
// install is reused; otherwise it runs npm install aws-kcl@NodeVersion
// (with install scripts off; the package has none), telling progress to
// log.
func InstallNode(ctx context.Context, log io.Writer) (dir string, err error) {
	dir, err = DefaultNodeDir()
	if err != nil {
		return "", err
	}
	t := target{
		what: "aws-kcl " + NodeVersion, dir: dir, env: NodeDirEnv,
		installed: nodeInstalled,
		tools:     checkNode,
		install: func(ctx context.Context, dir string, out io.Writer) error {
			if err := run(ctx, out, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save",
				"--ignore-scripts", "--loglevel=error", "aws-kcl@"+NodeVersion); err != nil {
				return fmt.Errorf("npm install aws-kcl@%s failed (%v); is the npm registry reachable?", NodeVersion, err)
			}
			return nil
		},
	}
	if err := t.ensure(ctx, log); err != nil {
		return "", err
	}
	return dir, nil
}

// venvPython is the interpreter of the virtual environment dir.
func venvPython(dir string) string {
	if runtime.GOOS == "windows" {
		return filepath.Join(dir, "Scripts", "python.exe")
	}
	return filepath.Join(dir, "bin", "python")
}

// pythonInstalled reports whether dir is a virtual environment whose
// python imports amazon_kclpy PythonVersion. Running it, rather than
// looking for files, also notices a venv whose python3 was upgraded away.
func pythonInstalled(ctx context.Context, dir string) bool {
	python := venvPython(dir)
	if _, err := os.Stat(python); err != nil {
		return false
	}
	out, err := exec.CommandContext(ctx, python, "-c",
		"import importlib.metadata, amazon_kclpy.kcl, amazon_kclpy.v3.processor; print(importlib.metadata.version('amazon_kclpy'))").Output()
	return err == nil && strings.TrimSpace(string(out)) == PythonVersion
}

// nodeInstalled reports whether dir holds aws-kcl NodeVersion.
func nodeInstalled(_ context.Context, dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "aws-kcl", "package.json"))
	if err != nil {
		return false
	}
	var pkg struct{ Version string }
	return json.Unmarshal(b, &pkg) == nil && pkg.Version == NodeVersion
}

func checkPython() error {
	if _, err := exec.LookPath("python3"); err != nil {
		return fmt.Errorf("bindings: python3 not found on PATH: %w; install Python 3", ErrNoPython)
	}
	// Debian and Ubuntu leave venv's ensurepip out of python3 itself.
	if out, err := exec.Command("python3", "-c", "import venv, ensurepip").CombinedOutput(); err != nil {
		return fmt.Errorf("bindings: python3 cannot make a virtual environment (%s): %w; on Debian or Ubuntu, install python3-venv",
			bytes.TrimSpace(lastLine(out)), ErrNoPython)
	}
	return nil
}

func checkNode() error {
	for _, name := range []string{"node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			return fmt.Errorf("bindings: %s not found on PATH: %w; install Node.js 18 or later", name, ErrNoNode)
		}
	}
	return nil
}

// run runs a command, its output going to out.
func run(ctx context.Context, out io.Writer, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}
