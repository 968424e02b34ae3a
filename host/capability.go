package host

import (
	"fmt"

	"github.com/redpanda-data/benthos/v4/public/service"

	"github.com/weirstream/weir/runtime"
)

// The wasm processor's `capabilities` field: what the pipeline grants the
// transform (docs/abi.md, "Capabilities"). Each capability the host can
// grant is one hostCapability; adding one is a file defining it and an
// entry in hostCapabilities.

const fieldCapabilities = "capabilities"

// hostCapability is how the processor config grants one capability.
type hostCapability struct {
	name string // as manifests spell it, and the field under `capabilities`
	// field is the config of the grant, named name.
	field func() *service.ConfigField
	// grant builds the runtime grant from the field's parsed config; mgr
	// gives access to the pipeline's resources (caches) and metrics. A
	// config holding only defaults (Benthos fills an optional object's
	// defaults in) grants nothing: grant returns nil.
	grant func(conf *service.ParsedConfig, mgr *service.Resources) (runtime.Grant, error)
}

// hostCapabilities are the capabilities the processor can grant.
var hostCapabilities = []hostCapability{
	kvHostCapability,
	metricsHostCapability,
}

func capabilitiesField() *service.ConfigField {
	fields := make([]*service.ConfigField, 0, len(hostCapabilities))
	for _, c := range hostCapabilities {
		fields = append(fields, c.field().Optional())
	}
	return service.NewObjectField(fieldCapabilities, fields...).
		Description("The capabilities granted to the transform: the host functions it may call and the resources behind them. A module declaring a capability (its manifest's `capabilities`) that is not granted here, or more of it than granted, is refused before it serves, with the config that would grant it. A module declaring none needs none. See docs/abi.md, \"Capabilities\".").
		Optional()
}

// parseGrants builds the grants the config gives, checking each names
// resources that exist.
func parseGrants(conf *service.ParsedConfig, mgr *service.Resources) ([]runtime.Grant, error) {
	if !conf.Contains(fieldCapabilities) {
		return nil, nil
	}
	caps := conf.Namespace(fieldCapabilities)
	var grants []runtime.Grant
	for _, c := range hostCapabilities {
		if !caps.Contains(c.name) {
			continue
		}
		g, err := c.grant(caps.Namespace(c.name), mgr)
		if err != nil {
			return nil, fmt.Errorf("field %s.%s: %w", fieldCapabilities, c.name, err)
		}
		if g != nil {
			grants = append(grants, g)
		}
	}
	return grants, nil
}
