package host

import (
	"fmt"
	"os"
	"strings"
)

// Subcommand runs the subcommands every service binary has, after the
// binary has read its configuration:
//
//	<binary> healthcheck   exit 0 when the running instance at addr is ready
//	<binary> settings      print the environment variables the binary reads
//
// It reports handled=false when args name no subcommand (run the service).
func Subcommand(name string, args []string, addr string) (code int, handled bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "healthcheck":
		return Healthcheck(addr), true
	case "settings":
		fmt.Println(strings.Join(SettingsRead(), "\n"))
		return 0, true
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown command %q (known: healthcheck, settings)\n", name, args[0])
		return 2, true
	}
}
