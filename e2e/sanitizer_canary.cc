// A deliberately broken program for //e2e:sanitizer_reports_test: proves that a sanitizer
// report in a child process of an e2e test is found (it stands in for a bug in
// kfed-controller-manager or kfedctl). Never used outside that test.
#include <climits>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  if (std::strcmp(argv[1], "--use-after-free") == 0) {
    int* volatile p = new int[4];
    delete[] p;
    return p[1];
  }
  if (std::strcmp(argv[1], "--leak") == 0) {
    int* volatile p = new int[64];
    p[0] = 1;
    p = nullptr;
    return 0;
  }
  if (std::strcmp(argv[1], "--signed-overflow") == 0) {
    volatile int x = INT_MAX;
    x = x + argc;
    std::printf("%d\n", x);
    return 0;
  }
  return 0;
}
