package main

import (
	"context"
	"io"
)

type containerResult struct{}

func (g *containerResult) print(w io.Writer)   {}
func (g *containerResult) verdicts() []verdict { return nil }

func measureContainers(ctx context.Context, cfg config, dir string, bins binaries) (*containerResult, error) {
	return nil, nil
}
