// Package fake holds faithful in-process fakes of the two HTTP APIs deploytrack talks to: the
// Versioner event API and GitHub's Deployments REST API. Each fake is an http.Handler meant to be
// mounted on an httptest.Server; it answers the way the reference documents say the real service
// does (including its error shapes), records every request so tests can assert the exact sequence,
// and can be scripted to fail (status codes, lost or cut-off responses, hangs, trickling answers,
// latency) so retry and timeout paths can be tested without a network and without sleeping real
// seconds.
package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one HTTP request a fake received, recorded in arrival order.
type Request struct {
	Method, Path, RawQuery string // Path as received, including any prefix
	Header                 http.Header
	Body                   []byte
	Status                 int // the status the fake answered; 0 while in flight or when it never answered
}

// Fault is a scripted answer that replaces the fake's own for one matching request.
type Fault struct {
	Method     string      // "" matches any
	PathSuffix string      // e.g. "/deployment-events/", "/deployments", "/statuses"; "" matches any
	Query      string      // a substring of the raw query, e.g. "sha=" for a commit's list; "" matches any
	Status     int         // HTTP status to answer; 0 means 500
	Header     http.Header // extra headers (Retry-After, x-ratelimit-*, ...)
	Body       string      // raw body
	// AfterRecord processes the request normally (records the event, creates the deployment) and
	// then closes the connection without answering: a response lost after the server committed,
	// the case that makes blind POST retries create duplicates.
	AfterRecord bool
	// Hang never answers; the handler returns only when the request context is done.
	Hang bool
	// Commit processes the request normally and then sends the scripted Status, Header and Body
	// instead of the fake's own answer: a service that committed and then answered badly (an
	// empty 201, a truncated body).
	Commit bool
	// Cut processes the request normally, sends the status line, the headers and the first half
	// of the fake's own answer, then resets the connection: an answer lost mid-response.
	Cut bool
	// Trickle processes the request normally and sends the fake's own answer one byte at a
	// time, Trickle apart: a slow server or a congested link.
	Trickle time.Duration
}

func (f Fault) matches(r *http.Request) bool {
	return (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasSuffix(r.URL.Path, f.PathSuffix) &&
		strings.Contains(r.URL.RawQuery, f.Query)
}

// reply is a fake's own answer to a request, before it is written.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// jsonReply encodes v as the body of a reply with the given status.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fake: encoding a reply: " + err.Error()) // only our own types are encoded
	}
	return reply{status: status, body: b}
}

// recorder is the machinery both fakes share: the request log, the fault queue and the latency.
// Its exported methods are promoted to Versioner and GitHub.
type recorder struct {
	mu       sync.Mutex
	requests []*Request
	faults   []Fault
	latency  time.Duration
}

// Requests returns a copy of every request received since the last Reset, in arrival order,
// including rejected ones and ones answered by a Fault.
func (c *recorder) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Request, len(c.requests))
	for i, r := range c.requests {
		out[i] = *r
		out[i].Header = r.Header.Clone()
		out[i].Body = bytes.Clone(r.Body)
	}
	return out
}

// Reset clears the request log. It keeps the fake's state (events, deployments, rules) and any
// faults still queued.
func (c *recorder) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = nil
}

// Inject queues faults; each is consumed by the first later request it matches.
func (c *recorder) Inject(faults ...Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, faults...)
}

// SetLatency makes the fake wait d before handling every request. If the request context ends
// first, the request is recorded with Status 0 and not processed, as if it never reached the
// service: use a Fault with AfterRecord to simulate a response lost after the service committed.
func (c *recorder) SetLatency(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latency = d
}

// arrive records r and takes the first queued fault it matches, if any.
func (c *recorder) arrive(r *http.Request, body []byte) (*Request, *Fault, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	c.requests = append(c.requests, rec)
	for i, f := range c.faults {
		if f.matches(r) {
			c.faults = append(c.faults[:i:i], c.faults[i+1:]...)
			return rec, &f, c.latency
		}
	}
	return rec, nil, c.latency
}

func (c *recorder) answered(rec *Request, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rec.Status = status
}

// serve is the pipeline both fakes run: record, wait, apply a fault or handle, write.
// defaults sets the headers every answer of that fake carries (a Fault's headers override them).
func (c *recorder) serve(w http.ResponseWriter, r *http.Request, defaults func(http.Header), handle func(*http.Request, []byte) reply) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		body = nil // a client that hung up mid-body gets no answer anyway
	}
	rec, fault, latency := c.arrive(r, body)
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case fault != nil && fault.Hang:
		<-r.Context().Done()
		return
	case fault != nil && fault.AfterRecord:
		handle(r, body)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: the server aborts without answering
	}
	var rp reply
	if fault == nil || fault.Cut || fault.Trickle > 0 {
		rp = handle(r, body)
	} else {
		if fault.Commit {
			handle(r, body)
		}
		rp = reply{status: fault.Status, header: fault.Header, body: []byte(fault.Body)}
		if rp.status == 0 {
			rp.status = http.StatusInternalServerError
		}
	}
	h := w.Header()
	defaults(h)
	for k, vs := range rp.header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	c.answered(rec, rp.status)
	switch {
	case fault != nil && fault.Cut:
		cut(w, rp)
	case fault != nil && fault.Trickle > 0:
		trickle(w, r, rp, fault.Trickle)
	default:
		w.WriteHeader(rp.status)
		w.Write(rp.body)
	}
}

// cut sends the status line, the headers and half the body of rp, then resets the connection
// (a TCP RST, as a crashing proxy or a dropped link leaves it), so the client reads an answer
// that stops short of its Content-Length.
func cut(w http.ResponseWriter, rp reply) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort without answering
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", rp.status, http.StatusText(rp.status))
	w.Header().Write(buf)
	buf.WriteString("\r\n")
	buf.Write(rp.body[:len(rp.body)/2])
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // close with a reset, not an orderly end of stream
	}
	conn.Close()
}

// trickle sends rp with its headers at once and its body one byte every d, until the body is
// sent or the client hangs up.
func trickle(w http.ResponseWriter, r *http.Request, rp reply, d time.Duration) {
	w.Header().Set("Content-Length", strconv.Itoa(len(rp.body)))
	w.WriteHeader(rp.status)
	rc := http.NewResponseController(w)
	t := time.NewTicker(d)
	defer t.Stop()
	for i := range rp.body {
		if _, err := w.Write(rp.body[i : i+1]); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
}
