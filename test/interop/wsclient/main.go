// wsclient drives dockershim's streaming server with gorilla/websocket, the WebSocket library
// under client-go's WebSocket executor (what `crictl --transport websocket` uses), speaking the
// channel protocol as that executor does.
//
//	wsclient exec URL PROTOCOL STDIN|-
//
// It prints one JSON object: the negotiated subprotocol and what each channel carried.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

type result struct {
	Protocol string `json:"protocol"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	Error    string `json:"error"`
	Pongs    int    `json:"pongs"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "wsclient: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 5 || os.Args[1] != "exec" {
		fail("usage: wsclient exec URL PROTOCOL STDIN|-")
	}
	url := strings.Replace(os.Args[2], "http://", "ws://", 1)
	dialer := websocket.Dialer{Subprotocols: []string{os.Args[3]}, HandshakeTimeout: 10 * time.Second}
	conn, resp, err := dialer.Dial(url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		fail("dial: %v (HTTP %d)", err, status)
	}
	var r result
	r.Protocol = conn.Subprotocol()
	conn.SetPongHandler(func(string) error { r.Pongs++; return nil })
	if err := conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
		fail("ping: %v", err)
	}
	if os.Args[4] != "-" {
		conn.WriteMessage(websocket.BinaryMessage, append([]byte{0}, os.Args[4]...))
		// v5: the close signal for stdin.
		conn.WriteMessage(websocket.BinaryMessage, []byte{255, 0})
	}
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		kind, msg, err := conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				fail("read: %v", err)
			}
			break
		}
		if kind != websocket.BinaryMessage || len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case 1:
			r.Stdout += string(msg[1:])
		case 2:
			r.Stderr += string(msg[1:])
		case 3:
			r.Error += string(msg[1:])
		}
	}
	json.NewEncoder(os.Stdout).Encode(r)
}
