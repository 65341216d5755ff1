# LibTorch API differences between Debian's 1.13 and the 2.x inside a pip PyTorch (bench/gpu.sh).
# Each check compiles a few lines (compile only, small headers: seconds, not torch.h's 25 s)
# against the Torch found by find_package(Torch); the results become CATDOG_HAVE_*=0/1 in
# CATDOG_TORCH_API_DEFINES, and the code keeps an #if fallback for each.
include(CheckCXXSourceCompiles)
include(CMakePushCheckState)

cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_FLAGS "${TORCH_CXX_FLAGS} -std=c++17")
set(CMAKE_REQUIRED_INCLUDES ${TORCH_INCLUDE_DIRS})
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# c10::InferenceMode (1.9+): cheaper than NoGradGuard (no version counters, no view tracking).
check_cxx_source_compiles("
#include <c10/core/InferenceMode.h>
int main() { c10::InferenceMode guard; return c10::InferenceMode::is_enabled() ? 0 : 1; }"
  CATDOG_HAVE_INFERENCE_MODE)

# Autocast, the per-device API of 2.4+: at::autocast::set_autocast_enabled(device_type, bool).
check_cxx_source_compiles("
#include <ATen/autocast_mode.h>
int main() {
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kHalf);
  return 0; }"
  CATDOG_HAVE_AUTOCAST_DEVICE_API)

# Autocast, the older API of 1.10..2.3 (deprecated later): set_enabled / set_autocast_cpu_dtype.
check_cxx_source_compiles("
#include <ATen/autocast_mode.h>
int main() {
  at::autocast::set_enabled(true);
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  return 0; }"
  CATDOG_HAVE_AUTOCAST_LEGACY_API)

# torch::cuda::synchronize (honest CUDA timings): in torch/cuda.h since 1.13? checked, not assumed.
check_cxx_source_compiles("
#include <torch/cuda.h>
int main() { if (torch::cuda::is_available()) torch::cuda::synchronize(); return 0; }"
  CATDOG_HAVE_CUDA_SYNCHRONIZE)
cmake_pop_check_state()

set(CATDOG_TORCH_API_DEFINES "")
foreach(v CATDOG_HAVE_INFERENCE_MODE CATDOG_HAVE_AUTOCAST_DEVICE_API CATDOG_HAVE_AUTOCAST_LEGACY_API
          CATDOG_HAVE_CUDA_SYNCHRONIZE)
  if(${v})
    list(APPEND CATDOG_TORCH_API_DEFINES ${v}=1)
  else()
    list(APPEND CATDOG_TORCH_API_DEFINES ${v}=0)
  endif()
endforeach()
message(STATUS "catdog: LibTorch ${Torch_VERSION} API: ${CATDOG_TORCH_API_DEFINES}")
