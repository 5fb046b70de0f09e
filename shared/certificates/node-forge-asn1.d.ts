// node-forge's ASN.1 codec on its own (lib/asn1.js and the util and OID tables it needs): @types/node-forge declares
// only the whole library, whose ciphers, TLS and PKI code no function here runs.
declare module 'node-forge/lib/asn1' {
  const asn1: typeof import('node-forge').asn1;
  export default asn1;
}
