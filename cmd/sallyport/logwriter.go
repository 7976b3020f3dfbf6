package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers log output and writes it out at least every
// flushEvery, so that a busy server pays for one write system call per
// batch of lines instead of one per request line. Lines written just
// before a crash may be lost; Close flushes on a clean stop.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{
		buf:  bufio.NewWriterSize(w, 64<<10),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go lw.loop()
	return lw
}

// Write buffers p; slog's handlers call it once per complete line.
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

func (lw *logWriter) flush() {
	lw.mu.Lock()
	_ = lw.buf.Flush()
	lw.mu.Unlock()
}

func (lw *logWriter) loop() {
	defer close(lw.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			lw.flush()
		case <-lw.stop:
			lw.flush()
			return
		}
	}
}

// Close flushes what is buffered and stops the flushing goroutine.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
