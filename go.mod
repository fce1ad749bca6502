module github.com/seed26e043ee/client

go 1.26.0

require go.uber.org/goleak v1.3.0

require (
	github.com/ugorji/go/codec v1.3.2 // indirect
	golang.org/x/net v0.61.0 // indirect
)
