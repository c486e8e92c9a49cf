package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// serveTLS is how serve does TLS: a certificate and key the site gives,
// or a self-signed one kept in the data directory.
type serveTLS struct {
	cert, key  string
	selfSigned bool
}

func (o *serveTLS) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.cert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
	fs.StringVar(&o.key, "tls-key", "", "the PEM private key of --tls-cert")
	fs.BoolVar(&o.selfSigned, "tls-self-signed", false, "serve HTTPS with a self-signed certificate made on first start and kept beside the database (tls-cert.pem, tls-key.pem); its SHA-256 fingerprint is printed to check in the browser")
}

// check reports flag combinations that make no sense (a usage error).
func (o *serveTLS) check() error {
	switch {
	case o.selfSigned && (o.cert != "" || o.key != ""):
		return errors.New("--tls-self-signed makes its own certificate: leave out --tls-cert and --tls-key")
	case (o.cert == "") != (o.key == ""):
		return errors.New("--tls-cert and --tls-key go together")
	}
	return nil
}

func (o *serveTLS) enabled() bool { return o.selfSigned || o.cert != "" }

// config loads (or, self-signed, makes) the certificate and says which
// it is (to out); nil without TLS. dataDir is where a self-signed
// certificate is kept; host is the address serve listens on (named in a
// new certificate).
func (o *serveTLS) config(dataDir, host string, out io.Writer) (*tls.Config, error) {
	if !o.enabled() {
		return nil, nil
	}
	certFile, keyFile := o.cert, o.key
	if o.selfSigned {
		certFile, keyFile = filepath.Join(dataDir, "tls-cert.pem"), filepath.Join(dataDir, "tls-key.pem")
		made, err := ensureSelfSigned(certFile, keyFile, host, time.Now())
		if err != nil {
			return nil, err
		}
		if made {
			fmt.Fprintf(out, "made a self-signed TLS certificate: %s (key %s)\n", certFile, keyFile)
		}
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s: %w", certFile, err)
	}
	if time.Now().After(leaf.NotAfter) {
		return nil, fmt.Errorf("TLS certificate %s expired on %s", certFile, leaf.NotAfter.Format(time.DateOnly))
	}
	fmt.Fprintf(out, "TLS certificate for %s, valid until %s, SHA-256 fingerprint %s\n",
		strings.Join(certNames(leaf), ", "), leaf.NotAfter.Format(time.DateOnly), certFingerprint(leaf.Raw))
	// h2 as well: net/http serves HTTP/2 on a TLS listener that offers it.
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, nil
}

// certFingerprint is the SHA-256 of a certificate as browsers show it
// (colon-separated hex).
func certFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func certNames(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// selfSignedLife is how long a self-signed certificate is made for; one
// with less than selfSignedRenew left is made again at start.
const (
	selfSignedLife  = 825 * 24 * time.Hour
	selfSignedRenew = 30 * 24 * time.Hour
)

// ensureSelfSigned keeps a self-signed certificate in certFile and its key
// in keyFile, making them when missing or about to expire, or when the
// certificate does not name host. It reports whether it made them.
func ensureSelfSigned(certFile, keyFile, host string, now time.Time) (bool, error) {
	if pair, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil &&
			now.Add(selfSignedRenew).Before(leaf.NotAfter) && (host == "" || leaf.VerifyHostname(host) == nil) {
			return false, nil
		}
	} else if _, statErr := os.Stat(certFile); statErr == nil {
		// A file is there but unreadable as a pair: do not overwrite what
		// someone put there by hand.
		return false, fmt.Errorf("%s and %s are not a usable certificate and key (%v): remove them to make a new self-signed pair", certFile, keyFile, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return false, err
	}
	hostname, _ := os.Hostname()
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "checkpost " + hostname, Organization: []string{"checkpost (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if hostname != "" && hostname != "localhost" {
		tpl.DNSNames = append(tpl.DNSNames, hostname)
	}
	if host != "" {
		if ip := net.ParseIP(host); ip != nil {
			if !ip.IsUnspecified() && !ip.IsLoopback() {
				tpl.IPAddresses = append(tpl.IPAddresses, ip)
			}
		} else if host != "localhost" && host != hostname {
			tpl.DNSNames = append(tpl.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o755); err != nil {
		return false, err
	}
	// The key first (writeFileAtomic's temporary file is private, 0600);
	// the certificate last, so that a start cut short leaves no
	// certificate without its key.
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return false, err
	}
	if err := writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return false, err
	}
	return true, os.Chmod(certFile, 0o644)
}
