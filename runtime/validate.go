package runtime

import (
	"context"

	"github.com/tetratelabs/wazero"
)

// validate runs wazero's decoder and validator over code (every function
// body type-checked), the checks its compiler runs first, in a throwaway
// interpreter runtime with the engine's memory limit. The interpreter's own
// compile step costs a fraction of the optimizing compiler's, and the
// compile-cost limits already passed bound it.
func validate(code []byte, cfg EngineConfig) error {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithMemoryLimitPages(cfg.MaxMemoryPages))
	defer r.Close(ctx)
	compiled, err := r.CompileModule(ctx, code)
	if err != nil {
		return &Error{Class: ClassAdmission, Msg: "wazero's validator refuses the module", Cause: err}
	}
	return compiled.Close(ctx)
}
