//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package kcl

import (
	"syscall"
)

const ioctlGetTermios = syscall.TIOCGETA

func dup2(from, to int) error { return syscall.Dup2(from, to) }
