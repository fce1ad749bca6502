module github.com/seed26e043ee/client

go 1.26

require github.com/ugorji/go/codec v1.3.2 // indirect
