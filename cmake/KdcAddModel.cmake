# KdcAddModel.cmake - compile an ONNX student into a static library at build
# time.
#
#   kdc_add_model(<target> MODEL file.onnx
#                 TARGET x86-64-avx2|x86-64-avx512|aarch64-neon|cortex-m4|generic|host
#                 [EMIT c++|obj] [NAME name] [MAX_TOKENS n] [MAX_TEXT_BYTES n])
#
# runs `kdc compile` into ${CMAKE_CURRENT_BINARY_DIR}/<target>/ and adds the
# static library <target> (NAME.cpp + NAME.weights.S with EMIT c++, the
# default; NAME.o, the object kdc compiles for TARGET, with EMIT obj), which
# links kdcrt and puts NAME.h on its users' include path. It is rebuilt when
# the ONNX file or kdc itself changes. NAME (the prefix of the C API,
# NAME_predict, NAME_WORKSPACE_BYTES, ...) defaults to <target> made a C
# identifier. The target's properties KDC_MODEL_NAME, KDC_MODEL_DIR and
# KDC_MODEL_REPORT name the model, the generated folder and the JSON report
# (multiply-adds, weight and workspace bytes).
#
# Where kdc and kdcrt come from, first match wins:
#   kdc    the KDC_EXECUTABLE variable (a host kdc for cross builds), the
#          kdc::kdc target (find_package(kdc), or an alias in kdc's own build
#          tree), or `kdc` on the PATH.
#   kdcrt  the KDC_RUNTIME_TARGET variable, the kdc::kdcrt target
#          (find_package(kdc) for the host, or add_subdirectory of kdc's
#          runtime/ folder, which cross builds use), or the kdcrt target.
include_guard(GLOBAL)

# The weights go into read-only data through an assembler .incbin, so the
# project needs ASM; enable_language() only works at file scope, i.e. here.
get_property(_kdc_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
if(NOT "ASM" IN_LIST _kdc_languages)
  enable_language(ASM)
endif()
unset(_kdc_languages)

function(kdc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MODEL;TARGET;EMIT;NAME;MAX_TOKENS;MAX_TEXT_BYTES" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kdc_add_model(${target}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "kdc_add_model(${target}): MODEL file.onnx is required")
  endif()
  set(targets x86-64-avx2 x86-64-avx512 aarch64-neon cortex-m4 generic host)
  if(NOT ARG_TARGET IN_LIST targets)
    message(FATAL_ERROR "kdc_add_model(${target}): TARGET must be one of ${targets}, not '${ARG_TARGET}'")
  endif()
  # host: the widest target the build machine runs (kdc targets --host).
  if(ARG_TARGET STREQUAL "host" AND CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "kdc_add_model(${target}): TARGET host is the build machine's widest "
                        "target; a cross build names its target (x86-64-avx2, x86-64-avx512, "
                        "aarch64-neon, cortex-m4 or generic)")
  endif()
  if(NOT ARG_EMIT)
    set(ARG_EMIT c++)
  endif()
  if(NOT ARG_EMIT MATCHES "^(c\\+\\+|obj)$")
    message(FATAL_ERROR "kdc_add_model(${target}): EMIT must be c++ or obj, not '${ARG_EMIT}'")
  endif()
  if(NOT ARG_NAME)
    string(MAKE_C_IDENTIFIER "${target}" ARG_NAME)
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "kdc_add_model(${target}): NAME '${ARG_NAME}' is not a C identifier")
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(ARG_EMIT STREQUAL "c++" AND NOT "CXX" IN_LIST languages)
    message(FATAL_ERROR "kdc_add_model(${target}): EMIT c++ needs the CXX language in project()")
  endif()
  if(ARG_EMIT STREQUAL "obj" AND ARG_TARGET STREQUAL "generic" AND CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "kdc_add_model(${target}): EMIT obj with TARGET generic compiles for "
                        "the build machine; a cross build needs TARGET x86-64-avx2, x86-64-avx512, "
                        "aarch64-neon or cortex-m4 (or EMIT c++)")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  # The compiler always runs on the build machine.
  if(KDC_EXECUTABLE)
    set(kdc "${KDC_EXECUTABLE}")
    set(kdc_depends "${KDC_EXECUTABLE}")
  elseif(TARGET kdc::kdc)
    set(kdc "$<TARGET_FILE:kdc::kdc>")
    get_target_property(aliased kdc::kdc ALIASED_TARGET)
    if(aliased)
      set(kdc_depends ${aliased})            # kdc's own build tree: build it first
    else()
      set(kdc_depends "$<TARGET_FILE:kdc::kdc>")
    endif()
  else()
    find_program(KDC_EXECUTABLE kdc DOC "kdc compiler driver (a host build)")
    if(NOT KDC_EXECUTABLE)
      message(FATAL_ERROR "kdc_add_model(${target}): no kdc: find_package(kdc), "
                          "or set KDC_EXECUTABLE to a host kdc")
    endif()
    set(kdc "${KDC_EXECUTABLE}")
    set(kdc_depends "${KDC_EXECUTABLE}")
  endif()

  if(KDC_RUNTIME_TARGET)
    set(runtime ${KDC_RUNTIME_TARGET})
  elseif(TARGET kdc::kdcrt)
    set(runtime kdc::kdcrt)
  elseif(TARGET kdcrt)
    set(runtime kdcrt)
  else()
    message(FATAL_ERROR "kdc_add_model(${target}): no kdcrt: find_package(kdc), or "
                        "add_subdirectory(<kdc>/runtime) for a cross build")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  set(report "${dir}/${ARG_NAME}.report.json")
  set(args compile "${model}" --emit ${ARG_EMIT} --target ${ARG_TARGET}
           --name ${ARG_NAME} -o "${dir}")
  if(ARG_MAX_TOKENS)
    list(APPEND args --max-tokens ${ARG_MAX_TOKENS})
  endif()
  if(ARG_MAX_TEXT_BYTES)
    list(APPEND args --max-text-bytes ${ARG_MAX_TEXT_BYTES})
  endif()
  list(APPEND args --report "${report}")
  if(ARG_EMIT STREQUAL "c++")
    set(outputs "${dir}/${ARG_NAME}.h" "${dir}/${ARG_NAME}.cpp"
                "${dir}/${ARG_NAME}.weights.S" "${dir}/${ARG_NAME}.weights.bin"
                "${report}")
  else()
    # An ELF object for TARGET's triple, compiled by kdc itself (LLVM): no
    # compiler for the target is needed, only its linker.
    set(outputs "${dir}/${ARG_NAME}.h" "${dir}/${ARG_NAME}.o" "${report}")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${kdc}" ${args}
    DEPENDS "${model}" ${kdc_depends}
    COMMENT "kdc: compiling ${ARG_MODEL} for ${ARG_TARGET} (${ARG_NAME})"
    VERBATIM)

  if(ARG_EMIT STREQUAL "c++")
    set(asm "${dir}/${ARG_NAME}.weights.S")
    set(bin "${dir}/${ARG_NAME}.weights.bin")
    add_library(${target} STATIC "${dir}/${ARG_NAME}.cpp" "${asm}" "${dir}/${ARG_NAME}.h")
    string(TOUPPER "${ARG_NAME}" upper)
    # The assembler's depfile does not list .incbin files: OBJECT_DEPENDS does.
    set_source_files_properties("${asm}" PROPERTIES
      COMPILE_DEFINITIONS "${upper}_WEIGHTS_FILE=\"${bin}\""
      OBJECT_DEPENDS "${bin}")
    # Cross toolchains keep the CPU and float-ABI flags in CMAKE_C_FLAGS; the
    # weights object must carry the same ELF attributes as the code.
    string(STRIP "${CMAKE_C_FLAGS}" cflags)
    string(STRIP "${CMAKE_ASM_FLAGS}" asmflags)
    if(CMAKE_CROSSCOMPILING AND cflags AND NOT asmflags)
      separate_arguments(cflags NATIVE_COMMAND "${CMAKE_C_FLAGS}")
      set_property(SOURCE "${asm}" APPEND PROPERTY COMPILE_OPTIONS ${cflags})
    endif()
  else()
    set_source_files_properties("${dir}/${ARG_NAME}.o" PROPERTIES
      EXTERNAL_OBJECT TRUE GENERATED TRUE)
    add_library(${target} STATIC "${dir}/${ARG_NAME}.o" "${dir}/${ARG_NAME}.h")
    # Only an archive step; any enabled language's archiver does.
    if("C" IN_LIST languages)
      set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
    else()
      set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
    endif()
  endif()
  target_include_directories(${target} PUBLIC "${dir}")
  target_link_libraries(${target} PUBLIC ${runtime})
  set_target_properties(${target} PROPERTIES
    KDC_MODEL_NAME ${ARG_NAME} KDC_MODEL_DIR "${dir}" KDC_MODEL_REPORT "${report}")
endfunction()
