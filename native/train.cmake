# soo_train: SOO LoRA training on GGUF bases in ggml (native/src/{train,lora,optim}), plus its standalone test
# executable test-train and the small train-cli (native/tests). Included by native/CMakeLists.txt after the ggml target exists:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/train.cmake OPTIONAL)
# Build and run the tests:
#   cmake --build native/build --target test-train && native/build/Release/test-train [section ...]
# (or `ctest --test-dir native/build -R test-train`).
if(NOT TARGET ggml)
    message(FATAL_ERROR "train.cmake needs the ggml target: include it after add_subdirectory(<llama.cpp>)")
endif()

set(SOO_TRAIN_DIR "${CMAKE_CURRENT_LIST_DIR}")

add_library(soo_train STATIC
    ${SOO_TRAIN_DIR}/src/train/base-weights.cpp
    ${SOO_TRAIN_DIR}/src/train/fast-backward.cpp
    ${SOO_TRAIN_DIR}/src/train/input-grad-op.cpp
    ${SOO_TRAIN_DIR}/src/train/cpu-bufts.cpp
    ${SOO_TRAIN_DIR}/src/train/graph-llama.cpp
    ${SOO_TRAIN_DIR}/src/train/soo-loss.cpp
    ${SOO_TRAIN_DIR}/src/train/self-anchor.cpp
    ${SOO_TRAIN_DIR}/src/train/soo-trainer.cpp
    ${SOO_TRAIN_DIR}/src/lora/lora-io.cpp
    ${SOO_TRAIN_DIR}/src/optim/adamw.cpp
    ${SOO_TRAIN_DIR}/src/lm/lm-model.cpp
    ${SOO_TRAIN_DIR}/src/lm/lm-graph.cpp
    ${SOO_TRAIN_DIR}/src/lm/lm-trainer.cpp
    ${SOO_TRAIN_DIR}/src/lm/lm-fast-backward.cpp
)
target_include_directories(soo_train PUBLIC "${SOO_TRAIN_DIR}/src")
target_link_libraries(soo_train PUBLIC ggml)
target_compile_features(soo_train PUBLIC cxx_std_17)
set_target_properties(soo_train PROPERTIES POSITION_INDEPENDENT_CODE ON)
# input-grad-op is plain loops left to the compiler's vectorizer: give it the instruction set ggml-cpu gets
# with GGML_NATIVE (-march=native on x86; aarch64 has NEON by default). Without it: SSE2, same results.
if(GGML_NATIVE AND NOT CMAKE_CROSSCOMPILING AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set_source_files_properties(${SOO_TRAIN_DIR}/src/train/input-grad-op.cpp PROPERTIES COMPILE_OPTIONS "-march=native")
endif()

add_executable(test-train
    ${SOO_TRAIN_DIR}/tests/test-train.cpp
    ${SOO_TRAIN_DIR}/tests/tiny-gguf.cpp
)
target_include_directories(test-train PRIVATE "${SOO_TRAIN_DIR}/tests")
target_link_libraries(test-train PRIVATE soo_train)
set_target_properties(test-train PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY         "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_RELEASE "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_DEBUG   "${CMAKE_BINARY_DIR}/Release"
)

# test-lm: the C++ suite of full-parameter LM training (src/lm): gradient check, weights, training, determinism, errors
add_executable(test-lm ${SOO_TRAIN_DIR}/tests/test-lm.cpp ${SOO_TRAIN_DIR}/tests/tiny-gguf.cpp)
target_include_directories(test-lm PRIVATE "${SOO_TRAIN_DIR}/tests")
target_link_libraries(test-lm PRIVATE soo_train)
set_target_properties(test-lm PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY         "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_RELEASE "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_DEBUG   "${CMAKE_BINARY_DIR}/Release"
)

enable_testing()
add_test(NAME test-train COMMAND test-train --tmp "${CMAKE_BINARY_DIR}")
add_test(NAME test-lm COMMAND test-lm --tmp "${CMAKE_BINARY_DIR}")

# train-cli: trains an adapter from token-id pairs (driven by test/native/train-soo.test.ts)
add_executable(train-cli ${SOO_TRAIN_DIR}/tests/train-cli.cpp)
target_link_libraries(train-cli PRIVATE soo_train)
set_target_properties(train-cli PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY         "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_RELEASE "${CMAKE_BINARY_DIR}/Release"
    RUNTIME_OUTPUT_DIRECTORY_DEBUG   "${CMAKE_BINARY_DIR}/Release"
)

# soo_train_addon: a test-only N-API module exporting trainSoo (src/napi/train-worker.cpp), for
# test/native/train-worker.test.ts. Built when the N-API headers are configured (scripts/build-native.mjs);
# not on MSVC (soo_native links node_api.lib there; this test module does not).
if(NOT MSVC AND EXISTS "${NODE_API_HEADERS_DIR}" AND EXISTS "${NODE_ADDON_API_DIR}")
    add_library(soo_train_addon MODULE
        ${SOO_TRAIN_DIR}/tests/train-addon.cpp
        ${SOO_TRAIN_DIR}/src/napi/train-worker.cpp
    )
    set_target_properties(soo_train_addon PROPERTIES
        PREFIX "" SUFFIX ".node"
        LIBRARY_OUTPUT_DIRECTORY         "${CMAKE_BINARY_DIR}/Release"
        LIBRARY_OUTPUT_DIRECTORY_RELEASE "${CMAKE_BINARY_DIR}/Release"
        LIBRARY_OUTPUT_DIRECTORY_DEBUG   "${CMAKE_BINARY_DIR}/Release"
    )
    target_include_directories(soo_train_addon PRIVATE "${NODE_API_HEADERS_DIR}" "${NODE_ADDON_API_DIR}")
    target_compile_definitions(soo_train_addon PRIVATE NAPI_VERSION=8 NAPI_CPP_EXCEPTIONS NODE_ADDON_API_DISABLE_DEPRECATED BUILDING_NODE_EXTENSION)
    target_link_libraries(soo_train_addon PRIVATE soo_train)
    if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
        target_link_options(soo_train_addon PRIVATE "-Wl,--exclude-libs,ALL")
    elseif(APPLE)
        target_link_options(soo_train_addon PRIVATE "-undefined" "dynamic_lookup")
    endif()
endif()
