package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wamqp "github.com/ThreeDotsLabs/watermill-amqp/v3/pkg/amqp"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	amqp "github.com/rabbitmq/amqp091-go"
)

// watermillPipeline is Watermill's SQL outbox set up as its documentation
// shows, with the guarantees of the building blocks' path: watermill-sql's
// PostgreSQL publisher in the producer's transaction, wrapped by the
// forwarder's publisher → the forwarder (a watermill-sql subscriber on the
// producer's database) → watermill-amqp's publisher with confirms → a
// quorum queue → watermill-amqp subscriptions, as many as the bus runs
// handlers, each recording the message id in a processed-messages table
// and the effect in one transaction of the consumer's database (Watermill
// has no inbox; this is the one a user would write).
type watermillPipeline struct {
	producerDB *pgxpool.Pool
	topic      string
}

const forwarderTopic = "outbox"

// processed is the consumer's record of handled messages.
var processed = fstest.MapFS{
	"migrations/001_shipments.sql": shipments["migrations/001_shipments.sql"],
	"migrations/002_processed.sql": {Data: []byte("CREATE TABLE processed_messages (id text PRIMARY KEY);")},
}

var watermillSchema = wsql.DefaultPostgreSQLSchema{}

func startWatermill(b *testing.B, s *sink) *watermillPipeline {
	b.Helper()
	_, prefix := testkit.Broker(b)
	p := &watermillPipeline{
		producerDB: testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), producers+2), orders),
		topic:      prefix + "_watermill",
	}
	consumerDB := testkit.PoolFor(b, testkit.WithMaxConns(b, testkit.NewDatabase(b), rabbitmq.DefaultConcurrency), processed)
	logger := watermill.NopLogger{}

	outbox, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(p.producerDB), wsql.SubscriberConfig{
		SchemaAdapter:    watermillSchema,
		OffsetsAdapter:   wsql.DefaultPostgreSQLOffsetsAdapter{},
		InitializeSchema: true,
		PollInterval:     10 * time.Millisecond,
	}, logger)
	if err != nil {
		b.Fatal(err)
	}
	if err := outbox.SubscribeInitialize(forwarderTopic); err != nil {
		b.Fatal(err)
	}

	amqpConfig := wamqp.NewDurableQueueConfig(testkit.RabbitURL())
	amqpConfig.Queue.Arguments = amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}
	amqpConfig.Publish.ConfirmDelivery = true
	amqpConfig.Publish.ChannelPoolSize = 1    // else every publish opens a channel of its own
	amqpConfig.Consume.Qos.PrefetchCount = 16 // per subscription: 256 in all, as the bus
	publisher, err := wamqp.NewPublisher(amqpConfig, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = publisher.Close() })
	fwd, err := forwarder.NewForwarder(outbox, publisher, logger, forwarder.Config{ForwarderTopic: forwarderTopic})
	if err != nil {
		b.Fatal(err)
	}
	testkit.RunUntilCleanup(b, fwd.Run)
	<-fwd.Running()

	subscriber, err := wamqp.NewSubscriber(amqpConfig, logger)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = subscriber.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	for range rabbitmq.DefaultConcurrency {
		msgs, err := subscriber.Subscribe(ctx, p.topic)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			for msg := range msgs {
				id, err := shipOnce(ctx, consumerDB, msg)
				if err != nil {
					msg.Nack()
					continue
				}
				msg.Ack()
				s.handled(id)
			}
		}()
	}
	return p
}

// shipOnce applies a message's effect unless its id is recorded, and
// records it, in one transaction; it returns the order id.
func shipOnce(ctx context.Context, db *pgxpool.Pool, msg *message.Message) (int, error) {
	var e orderPlaced
	if err := json.Unmarshal(msg.Payload, &e); err != nil {
		return 0, err
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, "INSERT INTO processed_messages (id) VALUES ($1) ON CONFLICT DO NOTHING", msg.UUID)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() == 0 {
		return e.OrderID, nil // a duplicate
	}
	if _, err := tx.Exec(ctx, shipOrder, e.OrderID); err != nil {
		return 0, err
	}
	return e.OrderID, tx.Commit(ctx)
}

func (p *watermillPipeline) commit(ctx context.Context, id int, beforeCommit func()) error {
	return placeOrder(ctx, p.producerDB, id, beforeCommit, func(tx pgx.Tx, e orderPlaced) error {
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		inTx, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: watermillSchema}, watermill.NopLogger{})
		if err != nil {
			return err
		}
		if err := forwarder.NewPublisher(inTx, forwarder.PublisherConfig{ForwarderTopic: forwarderTopic}).
			Publish(p.topic, message.NewMessage(e.ID.String(), body)); err != nil {
			return fmt.Errorf("watermill publish: %w", err)
		}
		return nil
	})
}
