#!/opt/venv/bin/python
"""Create the buckets docker-compose.yml's minio-init makes (moto keeps them in memory)."""

import sys

import boto3

ENDPOINT = "http://minio:9000"

if __name__ == "__main__":
    client = boto3.client("s3", endpoint_url=ENDPOINT)
    for bucket in sys.argv[1:]:
        client.create_bucket(Bucket=bucket)
        print(f"bucket {bucket} ready at {ENDPOINT}")
