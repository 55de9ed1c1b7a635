// spdyclient drives dockershim's streaming server with spdystream, the SPDY library under
// kubectl's and crictl's exec, attach and port-forward, so e2e tests check interoperability
// with a peer implementation rather than only with the project's own codec.
//
//	spdyclient exec URL STDIN|-          streams error, stdin (unless "-"), stdout, stderr
//	spdyclient portforward URL PORT DATA streams error and data for one connection
//
// It prints one JSON object: the negotiated protocol and what each stream carried.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/docker/spdystream"
)

type result struct {
	Protocol string `json:"protocol"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	Error    string `json:"error"`
	Data     string `json:"data"`
}

// bufferedConn hands out the bytes the HTTP reader read past the 101 answer first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "spdyclient: "+format+"\n", args...)
	os.Exit(2)
}

func upgrade(rawURL, protocol string) (*spdystream.Connection, string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		fail("url: %v", err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 10*time.Second)
	if err != nil {
		fail("dial: %v", err)
	}
	req, _ := http.NewRequest("POST", rawURL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Add("X-Stream-Protocol-Version", protocol)
	if err := req.Write(conn); err != nil {
		fail("request: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		fail("response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := ioutil.ReadAll(resp.Body)
		fail("upgrade refused: %d %s", resp.StatusCode, body)
	}
	spdy, err := spdystream.NewConnection(bufferedConn{conn, br}, false)
	if err != nil {
		fail("spdy: %v", err)
	}
	go spdy.Serve(spdystream.NoOpStreamHandler)
	return spdy, resp.Header.Get("X-Stream-Protocol-Version")
}

func open(c *spdystream.Connection, h http.Header) *spdystream.Stream {
	s, err := c.CreateStream(h, nil, false)
	if err != nil {
		fail("create stream %v: %v", h, err)
	}
	if err := s.WaitTimeout(30 * time.Second); err != nil {
		fail("stream %v not accepted: %v", h, err)
	}
	return s
}

func readAll(s *spdystream.Stream, into *string, wg *sync.WaitGroup) {
	defer wg.Done()
	b, _ := ioutil.ReadAll(s)
	*into = string(b)
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: spdyclient exec URL STDIN|- | portforward URL PORT DATA")
	}
	var r result
	switch os.Args[1] {
	case "exec":
		c, protocol := upgrade(os.Args[2], "v4.channel.k8s.io")
		r.Protocol = protocol
		header := func(t string) http.Header { h := http.Header{}; h.Set("streamType", t); return h }
		errStream := open(c, header("error"))
		var stdin *spdystream.Stream
		if os.Args[3] != "-" {
			stdin = open(c, header("stdin"))
		}
		stdout := open(c, header("stdout"))
		stderr := open(c, header("stderr"))
		var wg sync.WaitGroup
		wg.Add(3)
		go readAll(stdout, &r.Stdout, &wg)
		go readAll(stderr, &r.Stderr, &wg)
		go readAll(errStream, &r.Error, &wg)
		if stdin != nil {
			io.WriteString(stdin, os.Args[3])
			stdin.Close()
		}
		wg.Wait()
		c.Close()
	case "portforward":
		if len(os.Args) < 5 {
			fail("portforward needs URL PORT DATA")
		}
		c, protocol := upgrade(os.Args[2], "portforward.k8s.io")
		r.Protocol = protocol
		header := func(t string) http.Header {
			h := http.Header{}
			h.Set("streamType", t)
			h.Set("port", os.Args[3])
			h.Set("requestID", "0")
			return h
		}
		errStream := open(c, header("error"))
		errStream.Close()
		data := open(c, header("data"))
		var wg sync.WaitGroup
		wg.Add(2)
		go readAll(data, &r.Data, &wg)
		go readAll(errStream, &r.Error, &wg)
		io.WriteString(data, os.Args[4])
		wg.Wait()
		c.Close()
	default:
		fail("unknown mode %q", os.Args[1])
	}
	json.NewEncoder(os.Stdout).Encode(r)
}
