//go:build linux

package kcl

import (
	"syscall"
)

const ioctlGetTermios = syscall.TCGETS

func dup2(from, to int) error { return syscall.Dup3(from, to, 0) }
