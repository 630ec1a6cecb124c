// Package defaults fills in the settings a configuration leaves out.
package defaults

// Positive returns v, or def where v is zero or negative: for a count or a
// duration that only makes sense above zero. (For a setting whose zero
// value alone means the default, cmp.Or does it.)
func Positive[T ~int | ~int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
