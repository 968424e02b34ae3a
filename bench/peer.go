package bench

import (
	"os"

	"github.com/redpanda-data/benthos/v4/public/service"
)

// registerPeer registers a benchmark peer's processor: a .wasm module
// and the export to call once per message, built by newPeer.
func registerPeer(name, summary string, function *service.ConfigField, newPeer func(wasm []byte, fn string) (service.Processor, error)) {
	spec := service.NewConfigSpec().Summary(summary).
		Field(service.NewStringField("module").Description("Path of the .wasm module.")).
		Field(function.Description("Export called once per message."))
	err := service.RegisterProcessor(name, spec, func(conf *service.ParsedConfig, _ *service.Resources) (service.Processor, error) {
		path, err := conf.FieldString("module")
		if err != nil {
			return nil, err
		}
		fn, err := conf.FieldString("function")
		if err != nil {
			return nil, err
		}
		wasm, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return newPeer(wasm, fn)
	})
	if err != nil {
		panic(err)
	}
}
