// Package h2c puts an HTTP/2 front on an HTTP/1.1 server: a reverse proxy
// on a free port of the loopback interface that serves HTTP/2 without TLS
// (h2c, with prior knowledge) as well as HTTP/1.1, and forwards every
// request to the server over HTTP/1.1.
//
// It exists for the Kinesis clients of KCL 2.x and 3.x, which speak only
// HTTP/2 to an http:// endpoint, with prior knowledge, and so cannot talk
// to kinesalite, which speaks only HTTP/1.1:
//
//	p, err := h2c.Start(kinesaliteURL)
//	defer p.Close()
//	// kinesisEndpoint = p.URL
package h2c

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// Proxy is a running proxy.
type Proxy struct {
	// URL is where it listens, such as http://127.0.0.1:41233.
	URL string

	srv      *http.Server
	done     chan struct{}
	requests atomic.Int64
	h2       atomic.Int64
}

// Start starts a proxy to target, an http:// URL, on a free port of
// 127.0.0.1.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("h2c: target %q: want an http:// URL", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("h2c: %w", err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A client that goes away mid-request is not worth a line on stderr.
	rp.ErrorLog = log.New(discard{}, "", 0)
	p := &Proxy{URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	p.srv = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.requests.Add(1)
			if r.ProtoMajor == 2 {
				p.h2.Add(1)
			}
			rp.ServeHTTP(w, r)
		}),
		Protocols:         &protocols,
		ReadHeaderTimeout: 30 * time.Second,
	}
	go func() {
		defer close(p.done)
		p.srv.Serve(ln)
	}()
	return p, nil
}

// Requests returns how many requests the proxy received so far, and how
// many of them over HTTP/2.
func (p *Proxy) Requests() (all, http2 int64) {
	return p.requests.Load(), p.h2.Load()
}

// Close stops the proxy, ending its connections. It is safe to call more
// than once.
func (p *Proxy) Close() error {
	err := p.srv.Close()
	<-p.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
