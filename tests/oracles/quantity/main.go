// The Kubernetes API server's own quantity parser, as an oracle for
// tests/test_quantities.py: one input per line on stdin (Go-quoted), one
// answer per line on stdout: the exact value, or "error".
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		text, err := strconv.Unquote(in.Text())
		if err != nil {
			fmt.Fprintln(out, "bad-input")
			continue
		}
		q, err := resource.ParseQuantity(text)
		if err != nil {
			fmt.Fprintln(out, "error")
			continue
		}
		fmt.Fprintln(out, q.AsDec().String())
	}
}
