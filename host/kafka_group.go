package host

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupOpts turns the kafka input's membership fields into franz-go options.
//
// How long a restart pauses consumption (docs/deploy.md, "Per-key order and
// recovery"): with dynamic membership a restarted process is a new member;
// the group rebalances and waits for every listed member, the crashed one
// included, until that one's session_timeout or the rebalance_timeout ends,
// whichever comes first. With a static instance_id the restarted process
// takes its old member's place and assignment within one join, as long as
// it is back within session_timeout. A clean shutdown of a dynamic member
// leaves the group (franz-go's Close), so the others take over at once.
func groupOpts(conf *service.ParsedConfig) ([]kgo.Opt, error) {
	session, err := conf.FieldDuration(fieldSession)
	if err != nil {
		return nil, err
	}
	rebalance, err := conf.FieldDuration(fieldRebalance)
	if err != nil {
		return nil, err
	}
	if session <= 0 || rebalance <= 0 {
		return nil, fmt.Errorf("fields %s and %s must be positive (got %v and %v)", fieldSession, fieldRebalance, session, rebalance)
	}
	id, err := conf.FieldString(fieldInstanceID)
	if err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SessionTimeout(session), kgo.RebalanceTimeout(rebalance)}
	if id != "" {
		opts = append(opts, kgo.InstanceID(id))
	}
	return opts, nil
}
