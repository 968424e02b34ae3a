package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

// minWatchInterval bounds how often --watch asks: each refresh is one
// status request to the running weir.
const minWatchInterval = 100 * time.Millisecond

func watchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "refresh until Ctrl-C: in place on a terminal, one block per refresh elsewhere"},
		&cli.DurationFlag{Name: "interval", Value: 2 * time.Second, Usage: "time between refreshes with --watch (at least 100ms)"},
	}
}

// watchStatus shows the status every --interval until Ctrl-C (or
// SIGTERM), then exits cleanly. On a terminal each refresh redraws the
// screen; anywhere else it is a plain block under a time line, with no
// escape codes. A failed refresh (weir restarting) is shown, and the
// watch goes on.
func watchStatus(c *cli.Context, api *adminClient) error {
	every := c.Duration("interval")
	if every < minWatchInterval {
		return cli.Exit(fmt.Sprintf("--interval %s: at least %s", every, minWatchInterval), 2)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	tty := isTerminal(c.App.Writer)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for refresh(ctx, c, api, tty, every) && next(ctx, tick.C) {
	}
	if tty {
		fmt.Fprintln(c.App.Writer) // the prompt comes back below the last frame
	}
	return nil
}

// refresh writes one frame, and reports false when the watch was stopped
// meanwhile (the frame, cut short, is not written).
func refresh(ctx context.Context, c *cli.Context, api *adminClient, tty bool, every time.Duration) bool {
	var frame bytes.Buffer
	err := showStatus(ctx, c, api, &frame)
	if ctx.Err() != nil {
		return false
	}
	writeFrame(c.App.Writer, tty, every, frame.Bytes(), err)
	return true
}

// next waits for the next tick, and reports false if the watch was
// stopped first.
func next(ctx context.Context, tick <-chan time.Time) bool {
	select {
	case <-ctx.Done():
		return false
	case <-tick:
		return true
	}
}

// writeFrame writes one refresh: the screen cleared first on a terminal.
func writeFrame(w io.Writer, tty bool, every time.Duration, status []byte, err error) {
	now := time.Now().Format(time.TimeOnly)
	if tty {
		fmt.Fprintf(w, "\x1b[H\x1b[2J%s  every %s, Ctrl-C to stop\n\n", now, every)
	} else {
		fmt.Fprintf(w, "--- %s\n", now)
	}
	if err != nil {
		fmt.Fprintf(w, "error: %s\n", printable(err.Error()))
	}
	_, _ = w.Write(status)
	if !tty {
		fmt.Fprintln(w)
	}
}
