package testkit

import "slices"

// Permutations returns every order of the indexes 0 to n-1, for a test
// that applies the same changes in every order they could arrive in.
func Permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range Permutations(n - 1) {
		for i := range n {
			out = append(out, slices.Insert(slices.Clone(p), i, n-1))
		}
	}
	return out
}
