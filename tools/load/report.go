package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdicts of a row.
const (
	pass = "PASS"
	fail = "FAIL"
	info = "-"
)

// row is one line of the results table.
type row struct {
	scenario string
	st       *stats  // nil for rows that are not a load run
	answers  bool    // req/s counts every answer, not only 2xx
	ratio    float64 // to the bare handler; 0 when it does not apply
	measured string
	target   string
	verdict  string
}

// report collects the table and the details printed under it.
type report struct {
	rows    []row
	details []string
}

func (rp *report) add(r row) { rp.rows = append(rp.rows, r) }

func (rp *report) note(format string, args ...any) {
	rp.details = append(rp.details, fmt.Sprintf(format, args...))
}

// failed reports whether any row missed its target.
func (rp *report) failed() bool {
	return slices.ContainsFunc(rp.rows, func(r row) bool { return r.verdict == fail })
}

// print writes the table and the details.
func (rp *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\tvs bare\tmeasured\ttarget\tresult")
	for _, r := range rp.rows {
		rate, p50, p99, ratio := info, info, info, info
		if r.st != nil {
			rate = fmt.Sprintf("%.0f", r.st.rate())
			if r.answers {
				rate = fmt.Sprintf("%.0f", r.st.answerRate())
			}
			p50 = fmtDur(r.st.hist.quantile(0.50))
			p99 = fmtDur(r.st.hist.quantile(0.99))
		}
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.scenario, rate, p50, p99, ratio, r.measured, r.target, r.verdict)
	}
	tw.Flush()
	if len(rp.details) > 0 {
		fmt.Fprintln(w)
		for _, d := range rp.details {
			fmt.Fprintln(w, d)
		}
	}
}

// summary describes the answers of a run: how many, and what went wrong.
func summary(s *stats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ok", s.ok)
	codes := make([]int, 0, len(s.codes))
	for c := range s.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, ", %d x %d", s.codes[c], c)
	}
	if s.errs > 0 {
		fmt.Fprintf(&b, ", %d errors (first: %s)", s.errs, s.errSample)
	}
	if s.cancelled > 0 {
		fmt.Fprintf(&b, ", %d cut off at the end", s.cancelled)
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return pass
	}
	return fail
}

// fmtDur prints a latency with three significant digits at most.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fus", float64(d)/float64(time.Microsecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func fmtMs(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtMiB(kib int64) string {
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}
