package httpx

import (
	"context"
	"sync"
)

// firstConn lets the first HTTPS request to host dial alone: the others
// wait until it has its connection, then share it over HTTP/2, as GitHub
// serves its API, or dial their own over HTTP/1.1. Sent at once, each
// would dial and shake hands, and the transport would keep one of the
// HTTP/2 connections: ten products over HTTPS dialled nine connections
// to two hosts. The first request gets release, to call once its first
// attempt has a connection or has failed (see RoundTrip and checkRetry),
// so that the others never wait out its retries; a request that is not
// the first gets nil, once it may go, or the error of ctx.
func (c *Client) firstConn(ctx context.Context, host string) (release func(), err error) {
	c.mu.Lock()
	ready, ok := c.dialled[host]
	if !ok {
		if c.dialled == nil {
			c.dialled = map[string]chan struct{}{}
		}
		ready = make(chan struct{})
		c.dialled[host] = ready
	}
	c.mu.Unlock()
	if !ok {
		var once sync.Once
		return func() { once.Do(func() { close(ready) }) }, nil
	}
	select {
	case <-ready:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
