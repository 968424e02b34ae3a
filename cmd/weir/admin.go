package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/weirstream/weir/host"
)

// adminFlags say how to reach a running weir's admin API.
func adminFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "admin", EnvVars: []string{host.EnvAdminAddress}, Value: host.DefaultAdminAddress, Usage: "address of the running weir's admin API"},
		&cli.StringFlag{Name: "token", EnvVars: []string{host.EnvAdminToken}, Usage: "admin API bearer token"},
	}
}

func adminCommands() []*cli.Command {
	return []*cli.Command{
		{Name: "status", Usage: "Show a running weir's transforms: versions, digests, state, swap history, last failure", ArgsUsage: "[NAME]",
			Flags: append(adminFlags(), &cli.BoolFlag{Name: "json", Usage: "print as JSON"}), Action: statusAction},
		{Name: "rollback", Usage: "Go back to the previous version (the current one is not swapped to again)", ArgsUsage: "NAME", Flags: adminFlags(), Action: changeAction("rollback")},
		{Name: "pin", Usage: "Hold a transform at its current version, or at --id DIGEST, until unpin", ArgsUsage: "NAME", Flags: append(adminFlags(),
			&cli.StringFlag{Name: "id", Usage: "artifact digest to pin (default: the serving one)"}), Action: changeAction("pin")},
		{Name: "unpin", Usage: "Follow the transform's tag again", ArgsUsage: "NAME", Flags: adminFlags(), Action: changeAction("unpin")},
	}
}

func adminCall(c *cli.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(c.Context, method, "http://"+c.String("admin")+path, nil)
	if err != nil {
		return nil, err
	}
	if t := c.String("token"); t != "" {
		req.Header.Set("Authorization", "Bearer "+t)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w (is weir running, with %s=%s?)", err, host.EnvAdminAddress, c.String("admin"))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	return body, nil
}

func statusAction(c *cli.Context) error {
	body, err := adminCall(c, "GET", "/weir/transforms")
	if err != nil {
		return cli.Exit(err, 1)
	}
	var all []host.Status
	if err := json.Unmarshal(body, &all); err != nil {
		return cli.Exit(err, 1)
	}
	if name := c.Args().First(); name != "" {
		var one []host.Status
		for _, s := range all {
			if s.Name == name {
				one = append(one, s)
			}
		}
		if len(one) == 0 {
			return cli.Exit(fmt.Sprintf("no transform named %q", name), 1)
		}
		all = one
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	for _, s := range all {
		printStatus(c.App.Writer, s)
	}
	return nil
}

func printStatus(w io.Writer, s host.Status) {
	state := "following " + s.Source
	switch {
	case s.Pinned:
		state = "pinned"
	case !s.Watching:
		state = "not watching"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\t%s (%s)\n", s.Name, s.Serving.Transform, state)
	fmt.Fprintf(tw, "  serving\t%s since %s\n", s.Serving.Origin, s.Serving.Since.Format(time.RFC3339))
	if s.Previous != nil {
		fmt.Fprintf(tw, "  previous\t%s (%s)\n", s.Previous.Origin, s.Previous.Transform)
	}
	if f := s.LastFailure; f != nil {
		fmt.Fprintf(tw, "  last failure\t%s %s: %s\n", f.At.Format(time.RFC3339), f.To, f.Reason)
	}
	for id, why := range s.Rejected {
		fmt.Fprintf(tw, "  rejected\t%s: %s\n", id, why)
	}
	for _, ev := range s.History {
		line := ev.Outcome + " " + strings.TrimSpace(ev.From+" → "+ev.To)
		if ev.Reason != "" {
			line += ": " + ev.Reason
		}
		if ev.TookMs > 0 {
			line += fmt.Sprintf(" (%.1f ms)", ev.TookMs)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", ev.At.Format(time.RFC3339), line)
	}
	for _, v := range s.Versions { // each version's lifecycle (docs/registry.md, "Version lifecycle")
		line := v.Origin + " " + v.Outcome + ": " + strings.Join(v.States, " → ")
		if v.Class != "" {
			line += " (" + v.Class + ")"
		}
		fmt.Fprintf(tw, "  version\t%s\n", line)
	}
	_ = tw.Flush()
}

func changeAction(action string) cli.ActionFunc {
	return func(c *cli.Context) error {
		name := c.Args().First()
		if name == "" || c.NArg() != 1 {
			return cli.Exit("usage: weir transform "+action+" NAME", 2)
		}
		path := "/weir/transforms/" + url.PathEscape(name) + "/" + action
		if id := c.String("id"); action == "pin" && id != "" {
			path += "?id=" + url.QueryEscape(id)
		}
		body, err := adminCall(c, "POST", path)
		if err != nil {
			return cli.Exit(err, 1)
		}
		var s host.Status
		if err := json.Unmarshal(body, &s); err != nil {
			return cli.Exit(err, 1)
		}
		printStatus(c.App.Writer, s)
		return nil
	}
}
