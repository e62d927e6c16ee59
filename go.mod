module github.com/kclgo/mld

go 1.26
