/* A shared library that is not a connector: it lacks the entry symbol. */
__attribute__((visibility("default"))) int not_a_connector(void) {
  return 7;
}
