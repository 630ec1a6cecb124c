package host

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The names of the settings this process has looked up, so that a process
// can tell which environment variables it reads (see SettingsRead).
var (
	readMu sync.Mutex
	read   = map[string]bool{}
)

func getenv(key string) string {
	readMu.Lock()
	read[key] = true
	readMu.Unlock()
	return os.Getenv(key)
}

// SettingsRead returns, sorted, the name of every environment variable
// looked up so far through Env, EnvDuration, EnvBool and EnvInt. After a
// service has read its configuration, it is the list of settings the service
// understands: `<binary> settings` prints it, and the deployment tests check
// that compose and Kubernetes set nothing else.
func SettingsRead() []string {
	readMu.Lock()
	defer readMu.Unlock()
	names := make([]string, 0, len(read))
	for k := range read {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Env returns the environment variable key, or def when it is unset or empty.
func Env(key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// EnvDuration reads a Go duration ("90s", "1m") or returns def.
func EnvDuration(key string, def time.Duration) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s=%q: want a duration such as 30s or 1m", key, v)
	}
	return d, nil
}

// EnvBool reads true/false (as strconv.ParseBool) or returns def.
func EnvBool(key string, def bool) (bool, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", key, v)
	}
	return b, nil
}

// EnvInt reads a positive integer or returns def.
func EnvInt(key string, def int) (int, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive integer", key, v)
	}
	return n, nil
}
