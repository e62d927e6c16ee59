// Package stream is the Kinesis side of the tools: the client that kcl
// local, kcl put and the tests make for AWS or an emulator. Its
// subpackages write records (producer), fake the service in memory for
// tests (kinesisfake), run the kinesalite emulator (kinesalite), put an
// HTTP/2 front on it for the Java daemon's Kinesis client (h2c), and run
// dynalite, a DynamoDB emulator for the daemon's leases (dynalite).
package stream

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// LocalRegion is the region used with a local endpoint when none is given:
// emulators accept any.
const LocalRegion = "us-east-1"

// IsLocalEndpoint reports whether endpoint is an emulator rather than AWS:
// a URL whose host is not under amazonaws.com, amazonaws.com.cn or api.aws.
// An empty endpoint means AWS.
func IsLocalEndpoint(endpoint string) bool {
	if endpoint == "" {
		return false
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return true // not AWS's form either; let the SDK report it
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return true
	}
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		if strings.HasSuffix(host, suffix) {
			return false
		}
	}
	return true
}

// NewClient returns a Kinesis client for region and endpoint (both may be
// empty). A local endpoint gets static dummy credentials, and LocalRegion
// if no region is given, so that nothing is looked up in the environment
// and no request can reach AWS by mistake; otherwise the SDK's default
// chain supplies credentials and, if region is empty, the region.
func NewClient(ctx context.Context, region, endpoint string) (*kinesis.Client, error) {
	if IsLocalEndpoint(endpoint) {
		if region == "" {
			region = LocalRegion
		}
		return kinesis.New(kinesis.Options{
			Region:       region,
			BaseEndpoint: aws.String(endpoint),
			Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		}), nil
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("stream: loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("stream: no AWS region: set regionName in kcl.properties (or AWS_REGION)")
	}
	return kinesis.NewFromConfig(cfg, func(o *kinesis.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}
