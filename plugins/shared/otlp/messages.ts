/**
 * The OTLP logs message types, built once from the embedded descriptor (opentelemetry-proto
 * v1.7.0, see proto/README.md), for the otlp exporter and the otlp receiver alike.
 */
import protobuf from 'protobufjs';
import { OTLP_LOGS_DESCRIPTOR } from './descriptor.js';

const root = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR);
export const ExportLogsServiceRequestType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponseType = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const StatusType = root.lookupType('google.rpc.Status');
export const RetryInfoType = root.lookupType('google.rpc.RetryInfo');

/** The OTLP/HTTP logs path. */
export const LOGS_PATH = '/v1/logs';
/** The OTLP/gRPC method, as grpc-js names it. */
export const LOGS_EXPORT_METHOD = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
/** `google.protobuf.Any.type_url` of a RetryInfo in a gRPC status's details. */
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';
/** The trailer carrying a serialized google.rpc.Status with details (gRPC's "rich error model"). */
export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';
