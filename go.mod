module github.com/kclgo/mld

go 1.26

require github.com/google/go-cmp v0.7.0

require github.com/magiconair/properties v1.18.12
