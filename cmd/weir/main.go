// Command weir is the Benthos CLI with weir's plugins registered, plus
// `weir transform` for working with transform modules.
package main

import (
	"context"

	"github.com/redpanda-data/benthos/v4/public/service"

	_ "github.com/redpanda-data/benthos/v4/public/components/io"
	_ "github.com/redpanda-data/benthos/v4/public/components/pure"

	_ "github.com/weirstream/weir/host"
)

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "dev"

func main() {
	service.RunCLI(context.Background(),
		service.CLIOptSetBinaryName("weir"),
		service.CLIOptSetProductName("weir"),
		service.CLIOptSetVersion(Version, ""),
		service.CLIOptSetDocumentationURL("https://github.com/weirstream/weir/tree/main/docs"),
		service.CLIOptAddCommand(transformCommand()),
	)
}
