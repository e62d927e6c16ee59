package stream

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsLocalEndpoint(t *testing.T) {
	for endpoint, want := range map[string]bool{
		"":                       false,
		"http://127.0.0.1:4567":  true,
		"http://localhost:4566":  true,
		"http://[::1]:4567":      true,
		"http://localstack:4566": true,
		"https://kinesis.us-east-1.amazonaws.com":     false,
		"https://kinesis.cn-north-1.amazonaws.com.cn": false,
		"https://kinesis.us-east-1.api.aws":           false,
		"not a url":                                   true,
	} {
		if got := IsLocalEndpoint(endpoint); got != want {
			t.Errorf("IsLocalEndpoint(%q) = %v, want %v", endpoint, got, want)
		}
	}
}

func TestNewClient(t *testing.T) {
	ctx := context.Background()
	c, err := NewClient(ctx, "", "http://127.0.0.1:4567")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := c.Options().Credentials.Retrieve(ctx)
	if c.Options().Region != LocalRegion || err != nil || creds.AccessKeyID != "local" {
		t.Errorf("local client: region %q, credentials %v, %v; want %s and the dummy credentials", c.Options().Region, creds.AccessKeyID, err, LocalRegion)
	}

	// AWS: the region must come from somewhere.
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o644)
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	if _, err := NewClient(ctx, "", ""); err == nil || !strings.Contains(err.Error(), "stream: no AWS region: set regionName") {
		t.Errorf("NewClient with no region = %v, want an error naming regionName", err)
	}
	c, err = NewClient(ctx, "eu-west-1", "")
	if err != nil || c.Options().Region != "eu-west-1" || c.Options().BaseEndpoint != nil {
		t.Errorf("NewClient for AWS = %v, %v", c, err)
	}
}
