package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"checkpost/server/store"
)

// TestServeTLSSelfSigned serves HTTPS with a self-signed certificate made
// on first start: the printed fingerprint is the served certificate's, a
// supervisor signs in over TLS and gets the Secure session cookie, and a
// second start keeps the same certificate.
func TestServeTLSSelfSigned(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "checkpost.db")
	if code, _, stderr := runIn(t, "correct horse battery\n", "user", "create", "--db", db, "--name", "sup", "--role", "supervisor"); code != 0 {
		t.Fatalf("user create: %d %s", code, stderr)
	}
	first := serveTLSOnce(t, db, "--tls-self-signed")
	if !first.made {
		t.Error("first start did not say it made a certificate")
	}
	info, err := os.Stat(filepath.Join(dir, "tls-key.pem"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	second := serveTLSOnce(t, db, "--tls-self-signed")
	if second.made || second.fingerprint != first.fingerprint {
		t.Errorf("second start: made %v, fingerprint %s (first %s)", second.made, second.fingerprint, first.fingerprint)
	}
	// The site's own certificate and key, by file.
	third := serveTLSOnce(t, db, "--tls-cert", filepath.Join(dir, "tls-cert.pem"), "--tls-key", filepath.Join(dir, "tls-key.pem"))
	if third.fingerprint != first.fingerprint {
		t.Errorf("--tls-cert served %s, want %s", third.fingerprint, first.fingerprint)
	}
}

func TestServeTLSFlagsAreChecked(t *testing.T) {
	db := filepath.Join(t.TempDir(), "checkpost.db")
	for _, args := range [][]string{
		{"--tls-cert", "a.pem"},
		{"--tls-key", "k.pem"},
		{"--tls-self-signed", "--tls-cert", "a.pem", "--tls-key", "k.pem"},
	} {
		if code, _, _ := runIn(t, "", append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, args...)...); code != 2 {
			t.Errorf("serve %v: exit %d, want 2 (usage)", args, code)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if code, out, stderr := runIn(t, "", "serve", "--db", db, "--addr", "127.0.0.1:0", "--tls-cert", bad, "--tls-key", bad); code != 1 || !strings.Contains(stderr, "bad.pem") || strings.Contains(out, "cpt_") {
		t.Errorf("unreadable certificate: exit %d, %q, %q", code, stderr, out)
	}
	// The failed start did not use up the moment the first admin token is
	// shown: the next start still makes and prints one.
	d, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, err := d.CountTokens(context.Background()); err != nil || n != 0 {
		t.Errorf("a start that failed on its certificate left %d tokens (%v)", n, err)
	}
}

func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := execute(context.Background(), &cliEnv{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}, args)
	return code, out.String(), errb.String()
}

type tlsStart struct {
	made        bool
	fingerprint string
}

// serveTLSOnce starts serve with TLS flags, signs in as "sup" over HTTPS
// (checking the served certificate against the printed fingerprint and
// the session cookie's Secure flag), and stops it.
func serveTLSOnce(t *testing.T, db string, tlsArgs ...string) tlsStart {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, &cliEnv{Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard},
			append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, tlsArgs...))
		pw.Close()
	}()
	var st tlsStart
	var base string
	urlRe := regexp.MustCompile(`serving on (\S+)`)
	fpRe := regexp.MustCompile(`SHA-256 fingerprint ([0-9A-F:]{95})`)
	sc := bufio.NewScanner(pr)
	for base == "" && sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "made a self-signed TLS certificate") {
			st.made = true
		}
		if m := fpRe.FindStringSubmatch(line); m != nil {
			st.fingerprint = m[1]
		}
		if m := urlRe.FindStringSubmatch(line); m != nil {
			base = m[1]
		}
	}
	go io.Copy(io.Discard, pr)
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d", code)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	if !strings.HasPrefix(base, "https://") || st.fingerprint == "" {
		t.Fatalf("serve printed URL %q, fingerprint %q", base, st.fingerprint)
	}
	// Trust exactly the certificate whose fingerprint was printed.
	var served *x509.Certificate
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				served = cs.PeerCertificates[0]
				return nil
			}}}}
	res, err := client.Get(base + "/ui/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if got := certFingerprint(served.Raw); got != st.fingerprint {
		t.Fatalf("served certificate %s, printed %s", got, st.fingerprint)
	}
	if err := served.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("certificate: %v", err)
	}
	if strings.Contains(string(body), "plain HTTP") {
		t.Error("the sign-in page warns about plain HTTP over TLS")
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(body))
	if csrf == nil {
		t.Fatalf("no CSRF token on the sign-in page: %.300s", body)
	}
	form := url.Values{"csrf": {csrf[1]}, "name": {"sup"}, "password": {"correct horse battery"}}
	req, _ := http.NewRequest("POST", base+"/ui/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if strings.HasSuffix(c.Name, "checkpost-session") {
			session = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("sign-in over TLS: %d, session cookie %+v", res.StatusCode, session)
	}
	res, err = client.Get(base + "/ui/queue")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Fatalf("queue after sign-in: %d (TLS %v)", res.StatusCode, res.TLS != nil)
	}
	return st
}

// The certificate is made again when it nears its end.
func TestSelfSignedRenewedBeforeExpiry(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	now := time.Now()
	if made, err := ensureSelfSigned(cert, key, "127.0.0.1", now); err != nil || !made {
		t.Fatalf("first: %v %v", made, err)
	}
	if made, err := ensureSelfSigned(cert, key, "127.0.0.1", now.Add(24*time.Hour)); err != nil || made {
		t.Fatalf("next day: %v %v", made, err)
	}
	if made, err := ensureSelfSigned(cert, key, "127.0.0.1", now.Add(selfSignedLife-10*24*time.Hour)); err != nil || !made {
		t.Fatalf("ten days before expiry: %v %v", made, err)
	}
	data, _ := os.ReadFile(cert)
	b, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil || c.NotAfter.Before(now.Add(selfSignedLife)) {
		t.Fatalf("renewed certificate: %v %v", c.NotAfter, err)
	}
}
