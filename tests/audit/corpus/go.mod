module github.com/acme/demo

go 1.22

require (
	github.com/acme/gopkg v0.0.0-20240102030405-bab3e7d3abe7
	google.golang.org/grpc v1.66.0
)
