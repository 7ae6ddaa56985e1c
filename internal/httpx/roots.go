package httpx

import "net/http"

// trustSystemRoots gives the inner transport the system's roots, read
// once (systemRoots), before the first request that may dial TLS goes out
// (see usesTLS): over plain HTTP nothing is read. Without Options.Getenv, or where systemRoots has
// no pool to offer (macOS and Windows verify with the system's own
// verifier), the roots stay crypto/x509's, which reports its own errors.
//
// The transport's tls.Config is set at New and only its RootCAs field is
// written here: the transport writes NextProtos on its first request,
// which may be over HTTP and at the same time, and copies the whole
// config for each TLS connection, which no request dials before this has
// returned.
func (c *Client) trustSystemRoots() {
	if c.opts.Getenv == nil {
		return
	}
	c.rootsOnce.Do(func() {
		if pool, err := systemRoots(c.opts.Getenv); err == nil && pool != nil {
			c.tls.RootCAs = pool
		}
	})
}

// usesTLS reports whether req may dial a TLS connection: to its host, or
// to an HTTPS proxy.
func (c *Client) usesTLS(req *http.Request) bool {
	if req.URL.Scheme == "https" {
		return true
	}
	if c.proxy == nil {
		return false
	}
	p, err := c.proxy(req)
	return err == nil && p != nil && p.Scheme == "https"
}
