package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
)

// followEvery is how often `audit --follow` looks for new lines.
const followEvery = 200 * time.Millisecond

func auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "Show the audit trail: who changed which transform from which digest to which, and what was refused",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "file", EnvVars: []string{host.EnvAuditFile}, Usage: "the audit trail (default: audit.log in $XDG_STATE_HOME/weir or ~/.local/state/weir)"},
			&cli.StringFlag{Name: "transform", Aliases: []string{"t"}, Usage: "only the lines of this transform"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing lines as they are written (a rotated file is followed)"},
			&cli.BoolFlag{Name: "json", Usage: "print the lines as they are (JSON)"},
		},
		Action: auditAction,
	}
}

func auditAction(c *cli.Context) error {
	path := c.String("file")
	if path == "" {
		var err error
		if path, err = host.AuditFile(); err != nil {
			return cli.Exit(err, 1)
		}
	}
	if path == "-" {
		return cli.Exit("the audit trail goes to the running weir's stderr ("+host.EnvAuditFile+"=-): read it there", 2)
	}
	show := func(line []byte) { printAuditLine(c, line) }
	var err error
	if c.Bool("follow") {
		err = followAudit(c.Context, path, show)
	} else {
		_, err = readAudit(path, 0, show)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("audit trail: %v", err), 1)
	}
	return nil
}

// readAudit calls show for each whole line of path from offset on and
// returns the offset after the last whole line.
func readAudit(path string, offset int64, show func([]byte)) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, err
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return offset, nil // a partial line is read again, whole, next time
		}
		if err != nil {
			return offset, err
		}
		offset += int64(len(line))
		show(line)
	}
}

// followAudit prints path's lines, then new ones as they come, until ctx
// ends. A file that shrank or was replaced (rotated) is read from its start.
func followAudit(ctx context.Context, path string, show func([]byte)) error {
	var offset int64
	var was os.FileInfo
	t := time.NewTicker(followEvery)
	defer t.Stop()
	for {
		fi, err := os.Stat(path)
		switch {
		case err == nil && (fi.Size() < offset || (was != nil && !os.SameFile(was, fi))):
			offset = 0
			fallthrough
		case err == nil:
			was = fi
			if offset, err = readAudit(path, offset, show); err != nil {
				return err
			}
		case !os.IsNotExist(err):
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// printAuditLine prints one line, kept if --transform allows it, as a
// row or (--json) as it is.
func printAuditLine(c *cli.Context, line []byte) {
	var ev host.AuditEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		fmt.Fprintf(c.App.Writer, "unreadable audit line: %s\n", printableLine(strings.TrimSuffix(string(line), "\n")))
		return
	}
	if n := c.String("transform"); n != "" && ev.Transform != n {
		return
	}
	if c.Bool("json") {
		_, _ = c.App.Writer.Write(line)
		return
	}
	fmt.Fprintln(c.App.Writer, printableLine(auditRow(ev))) // a refused request's path is anyone's text
}

func auditRow(ev host.AuditEvent) string {
	who := ev.Actor
	if ev.Peer != "" {
		who += "@" + ev.Peer
	}
	row := fmt.Sprintf("%s  %-8s %-10s %s  %s", ev.Time.Local().Format(time.RFC3339), ev.Outcome, ev.Action, orDash(ev.Transform), who)
	if ev.From != "" || ev.To != "" {
		row += fmt.Sprintf("  %s → %s", orDash(ev.From), orDash(ev.To))
	}
	if ev.Signer != "" {
		row += "  signed by " + ev.Signer
	}
	for _, s := range []string{ev.Reason, ev.Error} {
		if s != "" {
			row += "  " + strings.ReplaceAll(s, "\n", " ")
		}
	}
	if ev.Suppressed > 0 {
		row += fmt.Sprintf("  (%d refusals left out before this line)", ev.Suppressed)
	}
	return row
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
