// Package audit writes the audit log in the background.
//
// Request handlers call [Writer.Record], which never blocks: the event goes
// into a bounded buffer, and one goroutine takes events from it in batches
// and appends them to the store in the order they were recorded. When the
// buffer is full the event is dropped and counted, since a slow or broken
// database must not stall logins; the count is exposed for metrics.
// [Writer.Close] stops taking events and writes what is buffered.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// Sink stores audit events; store.Audit satisfies it.
type Sink interface {
	AppendAudit(ctx context.Context, e store.AuditEvent) error
}

// Defaults for the zero fields of Options.
const (
	DefaultBuffer  = 4096
	DefaultBatch   = 64
	DefaultTimeout = 5 * time.Second
)

// Options configures a Writer; every zero field takes its default.
type Options struct {
	// Buffer is the number of events that may wait to be written.
	Buffer int
	// Batch is the most events the writer takes from the buffer at once.
	Batch int
	// Timeout bounds one AppendAudit call.
	Timeout time.Duration
	// OnError, if not nil, is called from the writer's goroutine with each
	// event that the sink refused and the sink's error, for example to log
	// it. Events are not retried. It should return quickly: events wait
	// while it runs.
	OnError func(e store.AuditEvent, err error)
	// Now gives the time of events recorded without one; time.Now if nil.
	Now func() time.Time
}

// Writer appends audit events to a Sink from a goroutine of its own. It is
// safe for concurrent use. Its zero value is not usable; call New.
type Writer struct {
	sink    Sink
	opts    Options
	queue   chan store.AuditEvent
	ctx     context.Context // cancelled when Close gives up waiting
	abort   context.CancelFunc
	done    chan struct{} // closed when the goroutine has stopped
	mu      sync.RWMutex  // held for writing only to close the queue
	closed  bool
	dropped atomic.Uint64
	failed  atomic.Uint64
	written atomic.Uint64
}

// New starts a writer that appends to sink.
func New(sink Sink, opts Options) *Writer {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctx, abort := context.WithCancel(context.Background())
	w := &Writer{
		sink:  sink,
		opts:  opts,
		queue: make(chan store.AuditEvent, opts.Buffer),
		ctx:   ctx,
		abort: abort,
		done:  make(chan struct{}),
	}
	go w.run()
	return w
}

// Record queues e to be written and returns at once. An e without Time
// gets the current time, one without ID gets NewID(e.Time). When the
// buffer is full, or the writer is closed, e is dropped and counted in
// Dropped.
func (w *Writer) Record(e store.AuditEvent) {
	if e.Time.IsZero() {
		e.Time = w.opts.Now()
	}
	if e.ID == "" {
		e.ID = NewID(e.Time)
	}

	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.dropped.Add(1)
		return
	}
	select {
	case w.queue <- e:
	default:
		w.dropped.Add(1)
	}
}

// Dropped returns how many events were never handed to the sink: recorded
// while the buffer was full or after Close, or still buffered when Close
// gave up.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Failed returns how many events the sink refused.
func (w *Writer) Failed() uint64 { return w.failed.Load() }

// Written returns how many events the sink stored.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Close stops taking events and waits until the buffered ones are
// written, or until ctx is done. In that case it aborts the write under
// way, drops the events left (see Dropped) and returns ctx's error
// without waiting for the goroutine, which stops once the sink returns.
// Calling Close again waits for that.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()

	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.abort()
		return fmt.Errorf("close audit writer: %w", ctx.Err())
	}
}

func (w *Writer) run() {
	defer close(w.done)
	defer w.abort()
	batch := make([]store.AuditEvent, 0, w.opts.Batch)
	for e := range w.queue {
		batch = append(batch[:0], e)
	fill:
		for len(batch) < w.opts.Batch {
			select {
			case next, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, next)
			default:
				break fill
			}
		}
		w.write(batch)
	}
}

// write hands a batch to the sink one event at a time.
//
// TODO: a batch costs one transaction per event because store.Audit
// appends one event per call; a method that appends many in one
// transaction would make bursts cheaper on SQLite and PostgreSQL.
func (w *Writer) write(batch []store.AuditEvent) {
	for i, e := range batch {
		if w.ctx.Err() != nil {
			w.dropped.Add(uint64(len(batch) - i))
			return
		}
		ctx, cancel := context.WithTimeout(w.ctx, w.opts.Timeout)
		err := w.sink.AppendAudit(ctx, e)
		cancel()
		if err == nil {
			w.written.Add(1)
			continue
		}
		if w.ctx.Err() != nil {
			w.dropped.Add(uint64(len(batch) - i))
			return
		}
		w.failed.Add(1)
		if w.opts.OnError != nil {
			w.opts.OnError(e, err)
		}
	}
}

// NewID returns an event ID that sorts, as a string, in the order of t:
// 16 hex digits of t in nanoseconds since 1970 (times outside 1970 to
// 2262 are clamped), a hyphen, and 16 random hex digits that keep IDs of
// events at the same instant apart.
func NewID(t time.Time) string {
	var n uint64
	switch {
	case t.Before(time.Unix(0, 0)):
		n = 0
	case t.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	default:
		n = uint64(t.UnixNano())
	}
	var b [16]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
	rand.Read(b[8:])
	h := hex.EncodeToString(b[:])
	return h[:16] + "-" + h[16:]
}
