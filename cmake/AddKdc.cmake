# CMake wrappers for kdc's own targets, in the style of CIRCT's AddCIRCT.cmake:
# every MLIR library registers itself in a global property, so tools link the
# list instead of naming each library by hand.

include_guard(GLOBAL)

# A TableGen'd MLIR dialect: ops, types/attributes, enums and docs.
function(add_kdc_dialect dialect dialect_namespace)
  add_mlir_dialect(${dialect} ${dialect_namespace})
  add_mlir_doc(${dialect} ${dialect}Dialect Dialects/ -gen-dialect-doc -dialect=${dialect_namespace})
endfunction()

function(add_kdc_dialect_library name)
  set_property(GLOBAL APPEND PROPERTY KDC_DIALECT_LIBS ${name})
  add_mlir_dialect_library(${ARGV} DISABLE_INSTALL)
endfunction()

function(add_kdc_conversion_library name)
  set_property(GLOBAL APPEND PROPERTY KDC_CONVERSION_LIBS ${name})
  add_mlir_conversion_library(${ARGV} DISABLE_INSTALL)
endfunction()

# An MLIR-based kdc library (import, conversion, target). LLVM's flags apply:
# no exceptions, so such a library reports errors through MLIR diagnostics or
# llvm::Error, never by throwing.
function(add_kdc_library name)
  set_property(GLOBAL APPEND PROPERTY KDC_ALL_LIBS ${name})
  add_mlir_library(${ARGV} DISABLE_INSTALL)
endfunction()

# A library that uses neither MLIR nor LibTorch (data readers, metrics, store).
# Plain C++17 with exceptions; it may be linked by every other part of kdc.
function(add_kdc_plain_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE -fexceptions)
  target_include_directories(${name} PUBLIC ${KDC_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# A LibTorch library. LibTorch throws c10::Error, so these targets are built
# with exceptions, apart from LLVM's -fno-exceptions targets.
function(add_kdc_torch_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE -fexceptions ${KDC_TORCH_CXX_FLAGS})
  target_include_directories(${name} PUBLIC ${KDC_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${TORCH_LIBRARIES} ${ARG_LINK_LIBS})
endfunction()

# A GoogleTest unit test, registered with ctest.
function(add_kdc_unittest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_compile_options(${name} PRIVATE -fexceptions)
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} GTest::gtest GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${KDC_BINARY_DIR}/unittests)
  # test/unit/TestSupport.h: scratch folders, the source and data folders.
  target_include_directories(${name} PRIVATE ${KDC_SOURCE_DIR}/test/unit)
  # The configured folders are compiled in (KDC_SHARED_DATA in the
  # environment still wins), so a test binary run by hand finds the data too.
  target_compile_definitions(${name} PRIVATE
    KDC_SOURCE_DIR_DEFAULT="${KDC_SOURCE_DIR}"
    KDC_SHARED_DATA_DEFAULT="${KDC_SHARED_DATA}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60)
  set_property(GLOBAL APPEND PROPERTY KDC_UNITTESTS ${name})
endfunction()
