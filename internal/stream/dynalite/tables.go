package dynalite

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// LeaseOwnerIndex is the global secondary index of the lease table that
// KCL 3.x looks leases up by owner with.
const LeaseOwnerIndex = "LeaseOwnerToLeaseKeyIndex"

// CreateKCLTables creates, for the KCL application app, the tables a
// MultiLangDaemon uses, and waits until each is ACTIVE:
//
//   - app, the lease table: hash key leaseKey, pay per request, with the
//     index LeaseOwnerIndex (hash leaseOwner, range leaseKey, keys only);
//   - app-CoordinatorState (hash key "key") and app-WorkerMetricStats
//     (hash key "wid"), which KCL 3.x adds.
//
// Every KCL version finds its tables there and creates none, which
// matters with dynalite: 3.x adds the index to an existing table with an
// UpdateTable that dynalite refuses ("provisionedThroughput must not be
// null") and would not build anyway, and 3.x waits for each table it
// creates with the AWS SDK's waiter, which polls every 20 seconds. 1.x and
// 2.x ignore the index and the two extra tables. A table that exists
// already is left as it is.
func CreateKCLTables(ctx context.Context, client *dynamodb.Client, app string) error {
	s := types.ScalarAttributeTypeS
	tables := []*dynamodb.CreateTableInput{
		{
			TableName: aws.String(app),
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String("leaseKey"), AttributeType: s},
				{AttributeName: aws.String("leaseOwner"), AttributeType: s},
			},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeHash}},
			GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
				IndexName: aws.String(LeaseOwnerIndex),
				KeySchema: []types.KeySchemaElement{
					{AttributeName: aws.String("leaseOwner"), KeyType: types.KeyTypeHash},
					{AttributeName: aws.String("leaseKey"), KeyType: types.KeyTypeRange},
				},
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			}},
			BillingMode: types.BillingModePayPerRequest,
		},
		hashTable(app+"-CoordinatorState", "key"),
		hashTable(app+"-WorkerMetricStats", "wid"),
	}
	for _, in := range tables {
		_, err := client.CreateTable(ctx, in)
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return fmt.Errorf("dynalite: creating table %s: %w", *in.TableName, err)
		}
	}
	for _, in := range tables {
		if err := waitActive(ctx, client, *in.TableName); err != nil {
			return err
		}
	}
	return nil
}

func hashTable(name, key string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}
}

// waitActive waits, for at most 30 seconds, until the table and its
// indexes are ACTIVE.
func waitActive(ctx context.Context, client *dynamodb.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			active := true
			for _, ix := range out.Table.GlobalSecondaryIndexes {
				active = active && ix.IndexStatus == types.IndexStatusActive
			}
			if active {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynalite: table %s not ACTIVE within 30s (last error: %v)", name, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Lease is a row of a KCL lease table, as far as tests look at it.
type Lease struct {
	Key        string // leaseKey: the shard id
	Owner      string // leaseOwner: a worker id, or "" for none
	Counter    int64  // leaseCounter
	Checkpoint string // checkpoint: a sequence number, or a sentinel such as TRIM_HORIZON or SHARD_END
	// SubSequenceNumber is checkpointSubSequenceNumber.
	SubSequenceNumber int64
}

// Leases returns the rows of the lease table, by lease key.
func Leases(ctx context.Context, client *dynamodb.Client, table string) ([]Lease, error) {
	var leases []Lease
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynalite: reading the lease table %s: %w", table, err)
		}
		for _, item := range out.Items {
			l := Lease{
				Key:        str(item["leaseKey"]),
				Owner:      str(item["leaseOwner"]),
				Checkpoint: str(item["checkpoint"]),
			}
			l.Counter, _ = strconv.ParseInt(num(item["leaseCounter"]), 10, 64)
			l.SubSequenceNumber, _ = strconv.ParseInt(num(item["checkpointSubSequenceNumber"]), 10, 64)
			leases = append(leases, l)
		}
	}
	sort.Slice(leases, func(i, j int) bool { return leases[i].Key < leases[j].Key })
	return leases, nil
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func num(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

// NewLease is a lease for a shard that no worker has read yet.
type NewLease struct {
	ShardID                        string
	StartingHashKey, EndingHashKey string
	Checkpoint                     string // TRIM_HORIZON or LATEST, as initialPositionInStream
}

// PutNewLeases writes the leases that a KCL worker's first shard sync
// would create (1.14 and later, 2.x and 3.x): one per shard, unowned, checkpointed at the
// initial position, with the shard's hash key range. A worker that finds
// the lease table empty waits a random 1 to 30 seconds, in steps of 3, for
// another worker to fill it before it does so itself; with the leases in
// place it starts at once. A lease that exists is left as it is.
func PutNewLeases(ctx context.Context, client *dynamodb.Client, table string, leases []NewLease) error {
	for _, l := range leases {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"leaseKey":                     &types.AttributeValueMemberS{Value: l.ShardID},
				"leaseCounter":                 &types.AttributeValueMemberN{Value: "0"},
				"ownerSwitchesSinceCheckpoint": &types.AttributeValueMemberN{Value: "0"},
				"checkpoint":                   &types.AttributeValueMemberS{Value: l.Checkpoint},
				"checkpointSubSequenceNumber":  &types.AttributeValueMemberN{Value: "0"},
				"startingHashKey":              &types.AttributeValueMemberS{Value: l.StartingHashKey},
				"endingHashKey":                &types.AttributeValueMemberS{Value: l.EndingHashKey},
			},
			ConditionExpression: aws.String("attribute_not_exists(leaseKey)"),
		})
		var exists *types.ConditionalCheckFailedException
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("dynalite: writing the lease of %s: %w", l.ShardID, err)
		}
	}
	return nil
}
