package kclprops

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEffective(t *testing.T) {
	data := base[3] + "retrievalMode = POLLING\nmaxRecords = 0\nfailoverTimeMillis = 5000\nmetricsLevel = none\n" +
		"kinesisClient.endpointOverride = http://user:pw@localhost:4566\nAwsCredentialsProviderDynamoDB = StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/r|s|externalId=abc\n"
	f, err := Parse("kcl.properties", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	var order []string
	for _, s := range Effective(f, Version{3, 1, 3}) {
		got[s.Key] = s
		order = append(order, s.Key)
	}
	for _, want := range []Setting{
		{Key: "applicationName", Value: "app", Source: FromFile, Line: 2},
		{Key: "tableName", Value: "app", Source: Derived, Note: "applicationName"},
		{Key: "workerMetricsTableName", Value: "app-WorkerMetricStats", Source: Derived, Note: "<applicationName>-WorkerMetricStats"},
		{Key: "maxRecords", Value: "10000", Source: FromDefault, Line: 6, Note: "line 6: a Java default value, skipped"},
		{Key: "leaseAssignmentIntervalMillis", Value: "10000", Source: Derived, Note: "2 × failoverTimeMillis"},
		{Key: "metricsLevel", Value: "none", Source: FromFile, Line: 8},
		{Key: "timeoutInSeconds", Source: Unset, Note: "waits for ever"},
		{Key: "AwsCredentialsProviderDynamoDB", Value: "StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/r|s|externalId=****", Source: FromFile, Line: 10},
		{Key: "AwsCredentialsProviderCloudWatch", Value: "DefaultCredentialsProvider", Source: Derived, Note: "the Kinesis provider"},
		{Key: "kinesisClient.endpointOverride", Value: "http://****@localhost:4566", Source: FromFile, Line: 9, Note: "passed to the AWS SDK client builder unchecked"},
	} {
		if diff := cmp.Diff(want, got[want.Key]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", want.Key, diff)
		}
	}
	for _, absent := range []string{"shardPrioritization", "timestampAtInitialPositionInStream", "leaseTableScanTotalSegments"} {
		if _, ok := got[absent]; ok {
			t.Errorf("Effective lists %s, which KCL 3.1.3 does not use", absent)
		}
	}
	if order[0] != "executableName" {
		t.Errorf("first setting %s, want executableName", order[0])
	}
}

func TestEffectiveDerived(t *testing.T) {
	data := strings.Replace(base[3], "streamName = s", "streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/orders", 1) + "maxRecords = 500\n"
	f, err := Parse("kcl.properties", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	for _, s := range Effective(f, Version{3, 1, 3}) {
		got[s.Key] = s
	}
	if s := got["streamName"]; s.Value != "orders" || s.Source != Derived {
		t.Errorf("streamName = %+v, want orders from streamArn", s)
	}
	if s := got["retrievalMode"]; s.Value != "POLLING" || s.Source != Derived {
		t.Errorf("retrievalMode = %+v, want POLLING, derived from the polling key", s)
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"applicationName", "orders", "orders"},
		{"aws.secretKey", "abc", "****"},
		{"db.password", "abc", "****"},
		{"sessionToken", "abc", "****"},
		{"externalId", "abc", "****"},
		{"workerId", "AKIAIOSFODNN7EXAMPLE-host", "****-host"},
		{"workerId", "ASIAIOSFODNN7EXAMPLE", "****"},
		{"kinesisEndpoint", "https://user:pass@localhost:4566/x", "https://****@localhost:4566/x"},
		{"kinesisEndpoint", "https://localhost:4566/?X-Amz-Security-Token=abc&a=b", "https://localhost:4566/?X-Amz-Security-Token=****&a=b"},
		{"AwsCredentialsProvider", "DefaultCredentialsProvider", "DefaultCredentialsProvider"},
		{"AwsCredentialsProvider", "StsAssumeRoleCredentialsProvider|arn:aws:iam::1:role/r|sess|endpointRegion=us-east-1|externalId=x1",
			"StsAssumeRoleCredentialsProvider|arn:aws:iam::1:role/r|sess|endpointRegion=****|externalId=****"},
		{"AWSCredentialsProvider", "Static|AKIAIOSFODNN7EXAMPLE|wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Static|****|****"},
	} {
		if got := Mask(tc.key, tc.value); got != tc.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
	}
}
