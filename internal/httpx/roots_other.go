//go:build !linux

package httpx

import "crypto/x509"

// systemRoots has no pool to offer outside Linux: crypto/x509 reads each
// root once there, or leaves the verification to the system (macOS,
// Windows), which a pool of our own would turn off.
func systemRoots(func(string) string) (*x509.CertPool, error) { return nil, nil }
