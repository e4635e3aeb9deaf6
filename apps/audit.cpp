// audit: reads workers' audit files ([policy] audit-dir) and answers
// questions about them (libworkers/core/workers/audit_tool.hpp).
//
//   audit print bob.audit
//   audit filter --to=me --kind=get bob.audit alice.audit
//   audit summary bob.audit
//   audit check --only-aggregates-to=me bob.audit   # exit 0, 1 or 2

#include <iostream>
#include <string>
#include <vector>

#include "workers/audit_tool.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return workers::run_audit_tool(args, std::cout, std::cerr);
}
