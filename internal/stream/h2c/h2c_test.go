package h2c

import (
	"bytes"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var _ = flag.Bool("update", false, "accepted so that go test ./... -update works; this package has no golden files")

// The client of KCL 2.x and 3.x, in Go: HTTP/2 with prior knowledge to an
// http:// URL.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p}}
}

func TestProxy(t *testing.T) {
	type seen struct {
		proto, target, body string
	}
	got := make(chan seen, 10)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Proto, r.Header.Get("X-Amz-Target"), string(b)}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{"StreamNames":[]}`))
	}))
	defer backend.Close()
	p, err := Start(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL %s, want the loopback interface", p.URL)
	}

	for _, tc := range []struct {
		name      string
		client    *http.Client
		wantMajor int
	}{
		{"h2c with prior knowledge", h2cClient(), 2},
		{"HTTP/1.1", &http.Client{}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"Limit":10}`
			req, _ := http.NewRequest("POST", p.URL+"/", bytes.NewBufferString(body))
			req.Header.Set("X-Amz-Target", "Kinesis_20131202.ListStreams")
			resp, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.ProtoMajor != tc.wantMajor || resp.StatusCode != 200 || string(b) != `{"StreamNames":[]}` {
				t.Errorf("response %s %d %q, want HTTP/%d 200 with the backend's body", resp.Proto, resp.StatusCode, b, tc.wantMajor)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
				t.Errorf("Content-Type %q, want the backend's", ct)
			}
			s := <-got
			if s.proto != "HTTP/1.1" || s.target != "Kinesis_20131202.ListStreams" || s.body != body {
				t.Errorf("the backend saw %+v, want HTTP/1.1 with the request's header and body", s)
			}
		})
	}
	if all, h2 := p.Requests(); all != 2 || h2 != 1 {
		t.Errorf("Requests() = %d, %d; want 2, 1", all, h2)
	}

	p.Close()
	if _, err := http.Get(p.URL); err == nil {
		t.Errorf("the proxy still answers after Close")
	}
	p.Close() // a second Close does nothing
}

func TestStartRejectsTarget(t *testing.T) {
	for _, target := range []string{"", "127.0.0.1:4567", "https://127.0.0.1:4567", "http://"} {
		if p, err := Start(target); err == nil {
			p.Close()
			t.Errorf("Start(%q) succeeded, want an error", target)
		}
	}
}
